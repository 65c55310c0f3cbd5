"""Where claimed jobs run: local worker processes now, a cluster executor later."""
