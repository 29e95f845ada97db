package dev.isthmus.controlplane.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code VertxHttp} is how the control plane's HTTP servers start and stop: one Vert.x instance per
 * server, with few event loops (they only read and write) and a small worker pool (for the
 * handlers), bound synchronously so a port conflict surfaces at start, and closed with its threads.
 */
public final class VertxHttp {
  private VertxHttp() {}

  /** A Vert.x instance with {@code eventLoops} loops and {@code workers} worker threads. */
  public static Vertx vertx(int eventLoops, int workers) {
    return Vertx.vertx(
        new VertxOptions().setEventLoopPoolSize(eventLoops).setWorkerPoolSize(workers));
  }

  /**
   * Options shared by every server: connections idle for {@code idleSeconds} are closed, request
   * lines and headers are bounded.
   */
  public static HttpServerOptions options(int idleSeconds) {
    return new HttpServerOptions()
        .setIdleTimeout(idleSeconds)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxInitialLineLength(4096)
        .setMaxHeaderSize(16 * 1024);
  }

  /**
   * Binds {@code server} and waits for it; on failure closes {@code vertx}.
   *
   * @throws IOException naming the address when it cannot be bound
   */
  public static void listen(Vertx vertx, HttpServer server, InetSocketAddress address)
      throws IOException {
    try {
      await(server.listen(address.getPort(), address.getAddress().getHostAddress()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close(vertx);
      throw new IOException("interrupted while binding " + address, e);
    } catch (ExecutionException | TimeoutException e) {
      close(vertx);
      throw new IOException(
          "cannot bind " + address + ": " + (e.getCause() == null ? e : e.getCause()), e);
    }
  }

  /** Closes {@code vertx} and its servers, waiting up to ten seconds. */
  public static void close(Vertx vertx) {
    try {
      await(vertx.close());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // its threads end anyway
    }
  }

  private static <T> T await(Future<T> f)
      throws InterruptedException, ExecutionException, TimeoutException {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
