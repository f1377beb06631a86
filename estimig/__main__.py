from estimig.cli import main

main()
