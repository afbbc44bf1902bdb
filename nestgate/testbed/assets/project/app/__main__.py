from medianest_app.server import main

main()
