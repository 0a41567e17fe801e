from cctv_detector.cli import main

raise SystemExit(main())
