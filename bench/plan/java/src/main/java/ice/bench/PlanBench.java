/*
 * The Java side of bench/plan/run.sh: Apache Iceberg's own planner
 * (iceberg-core) on the table bench-plan generates, timed after JIT
 * warm-up, in the same shape as `bench-plan plan`: load the metadata
 * (StaticTableOperations), then table.newScan().filter(...).planFiles(),
 * every task handed out and counted.
 *
 *   java -cp ... ice.bench.PlanBench METADATA WARMUP RUNS CASE...
 *
 * CASE is "full", "day" or "range" (the filters of run.sh, built with the
 * Expressions API). Each case is planned on one thread (the system
 * property iceberg.scan.plan-in-worker-pool=false, which run.sh sets, and
 * no executor: manifests are read one after another on the caller's
 * thread) and on every core (planWith a fixed pool of one thread per core,
 * as the shared worker pool would be sized). WARMUP plans of every case
 * and mode come first and are not timed; then RUNS timed plans of each.
 * Prints one JSON line per case and mode: {"case", "threads", "tasks",
 * "best_s", "median_s"}.
 *
 * The files are read through a small local FileIO that reads each file
 * into memory whole when it is opened (the quickest way a JVM can read
 * them; HadoopFileIO would add Hadoop's local file system on top).
 */
package ice.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.iceberg.BaseTable;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.StaticTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableScan;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.SeekableInputStream;

public final class PlanBench {
  private PlanBench() {}

  /** A file read into memory whole, then served from there. */
  static final class MemoryStream extends SeekableInputStream {
    private final byte[] data;
    private int pos;

    MemoryStream(byte[] data) {
      this.data = data;
    }

    @Override
    public long getPos() {
      return pos;
    }

    @Override
    public void seek(long newPos) throws IOException {
      if (newPos < 0 || newPos > data.length) {
        throw new IOException("seek out of range: " + newPos);
      }
      pos = (int) newPos;
    }

    @Override
    public int read() {
      return pos < data.length ? (data[pos++] & 0xff) : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (pos >= data.length) {
        return -1;
      }
      int n = Math.min(len, data.length - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public long skip(long n) {
      long k = Math.max(0, Math.min(n, data.length - (long) pos));
      pos += (int) k;
      return k;
    }

    @Override
    public int available() {
      return data.length - pos;
    }
  }

  static final class LocalInputFile implements InputFile {
    private final String location;

    LocalInputFile(String location) {
      this.location = location;
    }

    private Path path() {
      return location.startsWith("file:") ? Paths.get(java.net.URI.create(location)) : Paths.get(location);
    }

    @Override
    public long getLength() {
      try {
        return Files.size(path());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public SeekableInputStream newStream() {
      try {
        return new MemoryStream(Files.readAllBytes(path()));
      } catch (NoSuchFileException e) {
        throw new org.apache.iceberg.exceptions.NotFoundException(e, "not found: %s", location);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public String location() {
      return location;
    }

    @Override
    public boolean exists() {
      return Files.exists(path());
    }
  }

  /** Local files, read-only (planning writes nothing). */
  static final class LocalFileIO implements FileIO {
    @Override
    public InputFile newInputFile(String path) {
      return new LocalInputFile(path);
    }

    @Override
    public OutputFile newOutputFile(String path) {
      throw new UnsupportedOperationException("the planning benchmark writes nothing");
    }

    @Override
    public void deleteFile(String path) {
      throw new UnsupportedOperationException("the planning benchmark deletes nothing");
    }
  }

  /** The filters of bench/plan/run.sh. */
  static Expression filterOf(String name) {
    switch (name) {
      case "full":
        return Expressions.alwaysTrue();
      case "day": // ts >= '2021-06-01' and ts < '2021-06-02' (ts is a timestamptz)
        return Expressions.and(
            Expressions.greaterThanOrEqual("ts", "2021-06-01T00:00:00+00:00"),
            Expressions.lessThan("ts", "2021-06-02T00:00:00+00:00"));
      case "range": // id >= 500000000 and id < 505000000
        return Expressions.and(
            Expressions.greaterThanOrEqual("id", 500000000L), Expressions.lessThan("id", 505000000L));
      default:
        throw new IllegalArgumentException("unknown case: " + name);
    }
  }

  /** One plan as bench-plan times it: load the metadata, plan, count every task. */
  static long planOnce(String metadata, Expression filter, ExecutorService pool) throws IOException {
    FileIO io = new LocalFileIO();
    Table table = new BaseTable(new StaticTableOperations(metadata, io), "bench");
    TableScan scan = table.newScan().filter(filter);
    if (pool != null) {
      scan = scan.planWith(pool);
    }
    long n = 0;
    try (CloseableIterable<FileScanTask> tasks = scan.planFiles()) {
      for (FileScanTask t : tasks) {
        if (t.file() != null) {
          n++;
        }
      }
    }
    return n;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: PlanBench METADATA WARMUP RUNS CASE...");
      System.exit(2);
    }
    if (!"false".equals(System.getProperty("iceberg.scan.plan-in-worker-pool"))) {
      System.err.println("PlanBench: run with -Diceberg.scan.plan-in-worker-pool=false (one thread means one)");
      System.exit(2);
    }
    String metadata = args[0];
    int warmup = Integer.parseInt(args[1]);
    int runs = Integer.parseInt(args[2]);
    List<String> cases = Arrays.asList(args).subList(3, args.length);
    int cores = Runtime.getRuntime().availableProcessors();
    ExecutorService pool = Executors.newFixedThreadPool(cores, r -> {
      Thread t = new Thread(r, "plan-worker");
      t.setDaemon(true);
      return t;
    });
    try {
      for (int w = 0; w < warmup; w++) {
        for (String c : cases) {
          planOnce(metadata, filterOf(c), null);
          planOnce(metadata, filterOf(c), pool);
        }
      }
      for (String c : cases) {
        for (int mode = 0; mode < 2; mode++) {
          ExecutorService p = mode == 0 ? null : pool;
          List<Double> times = new ArrayList<>();
          long tasks = 0;
          for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            tasks = planOnce(metadata, filterOf(c), p);
            times.add((System.nanoTime() - t0) / 1e9);
          }
          times.sort(null);
          System.out.println(String.format(Locale.ROOT,
              "{\"case\": \"%s\", \"threads\": %d, \"tasks\": %d, \"best_s\": %.6f, \"median_s\": %.6f}",
              c, mode == 0 ? 1 : cores, tasks, times.get(0), times.get(times.size() / 2)));
          System.out.flush();
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
