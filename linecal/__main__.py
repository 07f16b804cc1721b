from linecal.cli import main

main()
