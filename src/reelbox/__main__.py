from reelbox.cli import main

main()
