from coordination.entrypoints.cli import main

main()
