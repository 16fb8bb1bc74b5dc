"""The local Cassandra: Apache Cassandra 5.0 itself, one node, run from its Maven Central jars.

`bootcamp/parts/parts.toml` pins `org.apache.cassandra:cassandra-all`; `scripts/setup.sh` resolves it
and its dependencies (the `jamm` agent among them). The node runs as
`java org.apache.cassandra.service.CassandraDaemon` on **Java 17**: Cassandra 5.0 supports Java 11
and 17 only, and calls `System.setSecurityManager` (for its user-defined functions), which JDK 24
removed. The JVM gets the flags of Cassandra's own `conf/jvm17-server.options` (the `--add-exports`/
`--add-opens` that its off-heap and reflection code needs, and its Netty settings), the `jamm`
javaagent (Cassandra measures the memtables' object sizes with it and refuses to start without it
unless told otherwise), and a small heap: this is a laptop node for tests, not a production sizing.

`cassandra.yaml` is written here at each start: 127.0.0.1 for every address, the CQL native
transport on the service's port (9042 when free), the internode storage port on another free port,
data, commit log, saved caches, hints and CDC under `.bootcamp/cassandra/`, and what makes one node
start fast: no wait for gossip to settle, a short ring
delay, no bootstrap, 4 tokens (the 5.0 default is 16; one node owns the whole ring either way).
Measured here: ready in 17 s from empty data, 20-30 s on two busy cores; ~750 MB RSS.

Ready means a CQL query answers (`SELECT release_version FROM system.local` through the Python
driver), not that the port is open: the port opens before the node serves queries.

`CASSANDRA_CONTACT_POINTS` (host[:port], comma-separated) replaces it with any real cluster; then
nothing is started (exercise READMEs say how to add TLS and credentials for Astra, Keyspaces, Aiven).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import ClassVar

from bootcamp import parts, requirements
from bootcamp.services.base import LOCALHOST, Requirement, Service, free_port, port_is_free

CASSANDRA_PART = "cassandra"
HEAP = ("-Xms256m", "-Xmx512m", "-Xmn96m")
JVM17_SERVER_OPTIONS = (
    # conf/jvm17-server.options of Apache Cassandra 5.0: GC ...
    "-XX:+UseG1GC", "-XX:+ParallelRefProcEnabled", "-XX:MaxTenuringThreshold=1",
    "-XX:G1RSetUpdatingPauseTimePercent=5", "-XX:MaxGCPauseMillis=300",
    "-XX:InitiatingHeapOccupancyPercent=70",
    # ... JPMS ...
    "-Djdk.attach.allowAttachSelf=true",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
    "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
    "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
    "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
    "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports", "jdk.attach/sun.tools.attach=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
    "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.io=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "--add-opens", "java.base/java.util=ALL-UNNAMED",
    # ... and Netty.
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
)
FAST_SINGLE_NODE = (
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",  # one node: nobody to gossip with
    "-Dcassandra.ring_delay_ms=100",                 # default 30 s of waiting for the ring to settle
    "-Dcassandra.superuser_setup_delay_ms=0",
    "-Dcassandra.initial_token_allocation=false",
)

LOGBACK = """\
<!-- Written by bootcamp at each start (bootcamp/services/cassandra.py). -->
<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
  <logger name="org.apache.cassandra.db.compaction" level="WARN"/>
  <logger name="org.apache.cassandra.db.ColumnFamilyStore" level="WARN"/>
</configuration>
"""


def java17() -> str | None:
    """A Java 17 `java`: the one on PATH when it is 17, else JAVA_HOME's, else a Debian/Temurin 17.

    Cassandra 5.0 runs on Java 11 or 17 only (it calls `setSecurityManager`, gone in JDK 24), so a
    newer default `java` must not be picked up.
    """
    candidates = [shutil.which("java") or ""]
    candidates += [str(Path(home) / "bin" / "java") for home in
                   (os.environ.get("JAVA17_HOME"), os.environ.get("JAVA_HOME")) if home]
    candidates += sorted(str(p) for p in Path("/usr/lib/jvm").glob("*17*/bin/java"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and requirements.java_major_version(candidate) == 17:
            return candidate
    return None


def cassandra_yaml(native_port: int, storage_port: int, home: Path) -> str:
    """The node's configuration: loopback only, its files under `home`, tuned to start fast."""
    data = home / "data"
    return "\n".join([
        "# Written by bootcamp at each start (bootcamp/services/cassandra.py); edits here are overwritten.",
        "cluster_name: bootcamp",
        "num_tokens: 4",
        "auto_bootstrap: false",
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "endpoint_snitch: SimpleSnitch",
        "authenticator: AllowAllAuthenticator",
        "authorizer: AllowAllAuthorizer",
        f"listen_address: {LOCALHOST}",
        f"rpc_address: {LOCALHOST}",
        f"storage_port: {storage_port}",
        "start_native_transport: true",
        f"native_transport_port: {native_port}",
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters:",
        f"      - seeds: \"{LOCALHOST}:{storage_port}\"",
        "data_file_directories:",
        f"  - {data / 'data'}",
        f"commitlog_directory: {data / 'commitlog'}",
        f"saved_caches_directory: {data / 'saved_caches'}",
        f"hints_directory: {data / 'hints'}",
        f"cdc_raw_directory: {data / 'cdc_raw'}",
        "commitlog_sync: periodic",
        "commitlog_sync_period: 10000ms",
        "commitlog_segment_size: 8MiB",
        "disk_failure_policy: stop",
        "commit_failure_policy: stop",
        "concurrent_reads: 8",
        "concurrent_writes: 8",
        "concurrent_counter_writes: 8",
        "memtable_heap_space: 64MiB",
        "memtable_offheap_space: 64MiB",
        "key_cache_size: 8MiB",
        "prepared_statements_cache_size: 8MiB",
        "auto_snapshot: false",          # test keyspaces are dropped and recreated; no snapshot of each
        "snapshot_on_duplicate_row_detection: false",
        "dynamic_snitch: false",
        "user_defined_functions_enabled: false",
        "materialized_views_enabled: false",
        "sasi_indexes_enabled: false",
        "transient_replication_enabled: false",
        "read_request_timeout: 10000ms",
        "range_request_timeout: 20000ms",
        "write_request_timeout: 5000ms",
        "",
    ])


class CassandraService(Service):
    name: ClassVar[str] = "cassandra"
    description: ClassVar[str] = (
        "Apache Cassandra 5.0 (one node, CassandraDaemon on Java 17), from Maven Central")
    endpoint_env: ClassVar[str] = "CASSANDRA_CONTACT_POINTS"
    default_port: ClassVar[int] = 9042
    port_env: ClassVar[str | None] = "BOOTCAMP_CASSANDRA_PORT"
    start_timeout_s: ClassVar[float] = 180.0  # ~20 s alone; minutes when the 2 cores are busy

    def requirements(self) -> list[Requirement]:
        java = Requirement("Java 17 (Cassandra 5.0 runs on Java 11 or 17, not 24+)", java17() is not None,
                           "apt-get install -y openjdk-17-jre-headless (or set JAVA17_HOME)")
        return [java, parts.maven(CASSANDRA_PART).requirement()]

    def _storage_port(self) -> int:
        """The internode port: last time's when still free (the node's identity survives), else new."""
        path = self.home / "ports.json"
        try:
            port = int(json.loads(path.read_text())["storage"])
        except (OSError, ValueError, KeyError, TypeError):
            port = 0
        if not (port and port_is_free(port)):
            port = free_port()
        return port

    def command(self, port: int, data_dir: Path) -> list[str]:
        java = java17()
        assert java is not None, "requirements() guards this"
        part = parts.maven(CASSANDRA_PART)
        classpath = part.classpath_arg()
        jamm = next((jar for jar in part.classpath() or [] if jar.name.startswith("jamm-")), None)
        storage = self._storage_port()
        (self.home / "ports.json").write_text(json.dumps({"native": port, "storage": storage}))
        config = self.home / "cassandra.yaml"
        config.write_text(cassandra_yaml(port, storage, self.home))
        logback = self.home / "logback.xml"
        logback.write_text(LOGBACK)
        agent = [f"-javaagent:{jamm}"] if jamm else []
        triggers = self.home / "triggers"
        triggers.mkdir(exist_ok=True)
        return [java, *HEAP, *JVM17_SERVER_OPTIONS, *agent, *FAST_SINGLE_NODE,
                "-XX:+ExitOnOutOfMemoryError", "-Xss256k", f"-Dcassandra.triggers_dir={triggers}",
                "-Djava.net.preferIPv4Stack=true",
                f"-Dcassandra.config={config.as_uri()}", f"-Dlogback.configurationFile={logback}",
                f"-Dcassandra.storagedir={data_dir}", f"-Dcassandra.logdir={self.home}",
                "-Dcassandra-foreground=yes", "-cp", classpath,
                "org.apache.cassandra.service.CassandraDaemon"]

    def is_healthy(self, endpoint: str) -> bool:
        """`SELECT release_version FROM system.local` answers: the node serves CQL."""
        from bootcamp.cassandra import cql_answers  # the driver is imported only where it is used

        return cql_answers(endpoint)
