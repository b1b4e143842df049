from hookledger.faces.cli import main

raise SystemExit(main())
