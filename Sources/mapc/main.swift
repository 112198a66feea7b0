import MapCLI

MapCLI.main()
