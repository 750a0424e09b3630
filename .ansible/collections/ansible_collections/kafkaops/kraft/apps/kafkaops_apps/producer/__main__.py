"""`python -m kafkaops_apps.producer [--env-file PATH]`."""

from kafkaops_apps.producer.app import create_app
from kafkaops_apps.runner import main_from, serve


def main() -> None:
    serve(create_app, lambda s: s.producer_port, main_from())


if __name__ == "__main__":
    main()
