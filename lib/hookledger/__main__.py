from hookledger.cli import main

raise SystemExit(main())
