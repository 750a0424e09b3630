"""Storage is never formatted by accident (static quorum, the seed's layout).

A node that ran before but whose data directory is gone (a disk that did not
mount) is refused: site.yml stops, the node stays stopped and unformatted.
With kafka_kraft_reformat_node_ids, in a run limited to the node's host as the
docs suggest, it is formatted, rejoins, and the cluster returns to 0
under-replicated partitions. Sorts before the resilience checks,
which start from a healthy cluster.
"""

from kraft_testlib import BIN, ansible_playbook, hosts, output_tail, run

NODES = hosts("kafka1", "kafka2", "kafka3")
K1, K2 = NODES["kafka1"], NODES["kafka2"]
DATA = "/var/kafka/logs"


def test_lost_data_directory_is_refused_then_reformatted_on_request():
    assert K2.run(f"systemctl stop kafka-node2 && mv {DATA} {DATA}.lost").rc == 0
    try:
        refused = ansible_playbook()
        said = " ".join((refused.stdout + refused.stderr).split())
        assert refused.returncode != 0
        assert "Node 2 on kafka2 ran before" in said, output_tail(refused)
        assert "kafka_kraft_reformat_node_ids=[2]" in said
        assert not K2.file(f"{DATA}/meta.properties").exists, "node 2 was formatted"
        assert not K2.service("kafka-node2").is_running

        allowed = ansible_playbook("-l", "kafka2", "-e", '{"kafka_kraft_reformat_node_ids": [2]}')
        assert allowed.returncode == 0, output_tail(allowed)
        assert K2.file(f"{DATA}/meta.properties").exists
        assert K2.service("kafka-node2").is_running
        urp = run(
            K1,
            f"{BIN}/kafka-topics.sh --bootstrap-server localhost:9092 --describe --under-replicated-partitions",
            180,
            r"\A\s*\Z",
        )
        assert urp.rc == 0 and urp.stdout.strip() == "", urp.stdout
    finally:
        # Whatever failed above, leave node 2 running for the checks that follow.
        K2.run(
            f"if [ -f {DATA}/meta.properties ]; then rm -rf {DATA}.lost; "
            f"elif [ -d {DATA}.lost ]; then rm -rf {DATA} && mv {DATA}.lost {DATA}; fi; "
            "systemctl start kafka-node2"
        )
