"""Parallel test workers unpack the Kafka archive once, and none sees a half-written tree."""

import io
import multiprocessing
import tarfile

from tests.support.kafka_broker import unpack_once

JARS = 1500


def _archive(path):
    # libs/ comes first, its last jar last: the order in which a reader racing the
    # extraction would find the directory but not yet the file.
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("kafka_2.13-0.0.0/libs")
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        for i in range(JARS):
            data = b"x" * 512
            info = tarfile.TarInfo(f"kafka_2.13-0.0.0/libs/dep-{i:05}.jar")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _worker(archive, cache, start, results):
    start.wait()
    home = unpack_once(archive, cache)
    results.put((home / "libs" / f"dep-{JARS - 1:05}.jar").is_file())


def test_concurrent_unpacks_all_see_the_whole_tree(tmp_path):
    archive = tmp_path / "kafka_2.13-0.0.0.tgz"
    _archive(archive)
    cache = tmp_path / "unpacked"
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(archive, cache, start, results)) for worker_index in range(4)]
    for w in workers:
        w.start()
    start.set()
    seen = [results.get(timeout=60) for worker in workers]
    for w in workers:
        w.join(timeout=60)
    assert seen == [True] * 4
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith(".")) == ["kafka_2.13-0.0.0"]
    assert len(list((cache / "kafka_2.13-0.0.0" / "libs").iterdir())) == JARS


def test_an_interrupted_unpack_is_redone(tmp_path):
    archive = tmp_path / "kafka_2.13-0.0.0.tgz"
    _archive(archive)
    cache = tmp_path / "unpacked"
    (cache / "kafka_2.13-0.0.0" / "bin").mkdir(parents=True)  # no libs/: incomplete
    home = unpack_once(archive, cache)
    assert len(list((home / "libs").iterdir())) == JARS
