"""Admission, fair claiming, recovery of lost runs and expiry of media."""
