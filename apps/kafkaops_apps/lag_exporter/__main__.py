"""`python -m kafkaops_apps.lag_exporter CONFIG.json`."""

from kafkaops_apps.lag_exporter.exporter import main

if __name__ == "__main__":
    raise SystemExit(main())
