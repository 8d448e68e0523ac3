#!/usr/bin/env bash
# The Apache Iceberg REST catalog test fixture (iceberg-open-api 1.11.0
# test-fixtures: RESTCatalogServlet + RESTCatalogAdapter over a JdbcCatalog on
# SQLite), the reference that `ice serve` and ice's REST client are compared
# with. Installs into .peers/rest-fixture/: a POM, the runtime jars
# (copy-dependencies; ~/.m2 caches them) and a small launcher that binds
# Jetty to 127.0.0.1 only (upstream RESTCatalogServer listens on every
# interface). Idempotent: does nothing when the install matches this script.
# tests/peers/rest_fixture.py starts and stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=.peers/rest-fixture
STAMP="$D/installed"
# The install is redone whenever this script changes.
want=$(sha256sum "$0" | cut -c1-16)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -f "$D/classes/org/apache/iceberg/rest/IceRestFixture.class" ]; then
  exit 0
fi
command -v mvn >/dev/null && command -v javac >/dev/null || {
  echo "rest-fixture: needs maven and a JDK 17 (apt-get install maven openjdk-17-jdk-headless)" >&2; exit 1; }
rm -rf "$D/lib" "$D/classes"
mkdir -p "$D/src/org/apache/iceberg/rest" "$D/classes"

cat > "$D/pom.xml" <<'POM'
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ice.peers</groupId><artifactId>rest-fixture</artifactId><version>1</version>
  <properties><iceberg>1.11.0</iceberg><jetty>12.1.14</jetty><hadoop>3.4.1</hadoop></properties>
  <dependencies>
    <dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-open-api</artifactId><version>${iceberg}</version><classifier>test-fixtures</classifier></dependency>
    <dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-core</artifactId><version>${iceberg}</version></dependency>
    <dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-core</artifactId><version>${iceberg}</version><classifier>tests</classifier></dependency>
    <dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-aws</artifactId><version>${iceberg}</version></dependency>
    <dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-aws-bundle</artifactId><version>${iceberg}</version></dependency>
    <dependency><groupId>org.eclipse.jetty.ee10</groupId><artifactId>jetty-ee10-servlet</artifactId><version>${jetty}</version></dependency>
    <dependency><groupId>org.eclipse.jetty.compression</groupId><artifactId>jetty-compression-gzip</artifactId><version>${jetty}</version></dependency>
    <dependency><groupId>org.eclipse.jetty.compression</groupId><artifactId>jetty-compression-server</artifactId><version>${jetty}</version></dependency>
    <dependency><groupId>org.xerial</groupId><artifactId>sqlite-jdbc</artifactId><version>3.50.3.0</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>2.0.17</version></dependency>
    <!-- Hadoop's Configuration class only (the JdbcCatalog wants one), without its tree -->
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-common</artifactId><version>${hadoop}</version>
      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions></dependency>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-auth</artifactId><version>${hadoop}</version>
      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions></dependency>
    <dependency><groupId>org.apache.hadoop.thirdparty</groupId><artifactId>hadoop-shaded-guava</artifactId><version>1.3.0</version></dependency>
    <dependency><groupId>com.fasterxml.woodstox</groupId><artifactId>woodstox-core</artifactId><version>5.4.0</version></dependency>
    <dependency><groupId>commons-collections</groupId><artifactId>commons-collections</artifactId><version>3.2.2</version></dependency>
    <dependency><groupId>org.apache.commons</groupId><artifactId>commons-configuration2</artifactId><version>2.10.1</version></dependency>
    <dependency><groupId>org.apache.commons</groupId><artifactId>commons-lang3</artifactId><version>3.12.0</version></dependency>
    <dependency><groupId>commons-io</groupId><artifactId>commons-io</artifactId><version>2.16.1</version></dependency>
    <dependency><groupId>com.google.re2j</groupId><artifactId>re2j</artifactId><version>1.1</version></dependency>
  </dependencies>
</project>
POM

# The launcher: the upstream adapter and servlet, configured from CATALOG_*
# variables as upstream does (CATALOG_FOO__BAR_BAZ -> foo-bar.baz), on a
# connector bound to 127.0.0.1. Prints "listening PORT" once serving.
cat > "$D/src/org/apache/iceberg/rest/IceRestFixture.java" <<'JAVA'
package org.apache.iceberg.rest;

import java.util.HashMap;
import java.util.Map;
import org.apache.iceberg.CatalogUtil;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public final class IceRestFixture {
  public static void main(String[] args) throws Exception {
    Map<String, String> conf = new HashMap<>(RCKUtils.environmentCatalogConfig());
    conf.putIfAbsent("catalog-impl", "org.apache.iceberg.jdbc.JdbcCatalog");
    conf.putIfAbsent("uri", "jdbc:sqlite::memory:");
    conf.putIfAbsent("jdbc.schema-version", "V1");
    var backend = CatalogUtil.buildIcebergCatalog(
        "rest_backend", conf, new org.apache.hadoop.conf.Configuration());
    var context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.addServlet(
        new ServletHolder(new RESTCatalogServlet(new RESTCatalogAdapter(backend))), "/*");
    Server server = new Server();
    ServerConnector http = new ServerConnector(server);
    http.setHost("127.0.0.1");
    http.setPort(Integer.parseInt(conf.getOrDefault("rest.port", "8181")));
    server.addConnector(http);
    server.setHandler(context);
    server.setStopAtShutdown(true);
    server.start();
    System.out.println("listening " + http.getLocalPort());
    System.out.flush();
    server.join();
  }
}
JAVA

log=$(mktemp)
trap 'rm -f "$log"' EXIT
( cd "$D" && mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime ) >"$log" 2>&1 \
  || { cat "$log"; echo "rest-fixture: maven failed" >&2; exit 1; }
javac -nowarn -d "$D/classes" -cp "$D/lib/*" "$D/src/org/apache/iceberg/rest/IceRestFixture.java" >"$log" 2>&1 \
  || { cat "$log"; echo "rest-fixture: javac failed" >&2; exit 1; }
echo "$want" > "$STAMP"
