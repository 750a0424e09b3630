"""Run the producer by hand, as the seed does: `python main_producer.py` with a .env beside it."""

from pathlib import Path

from kafkaops_apps.producer.app import create_app
from kafkaops_apps.runner import serve

if __name__ == "__main__":
    serve(create_app, lambda s: s.producer_port, Path(__file__).with_name(".env"))
