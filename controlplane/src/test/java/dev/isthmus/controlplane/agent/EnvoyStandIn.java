package dev.isthmus.controlplane.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.secret.v3.SecretDiscoveryServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for Envoy, which cannot run here. Two halves:
 *
 * <ul>
 *   <li>{@link #script}: the program {@code pilot-agent} launches as its Envoy ({@code
 *       ProxyConfig.binaryPath}); it takes Envoy's arguments, ignores them and stays alive as long
 *       as the agent does, so the agent keeps serving;
 *   <li>the rest: what Envoy does on the agent's local sockets, over gRPC on Unix domain sockets
 *       (grpc-java's Netty transport with epoll): Delta ADS on {@code ./etc/istio/proxy/XDS} with
 *       the node of the bootstrap the agent generated ({@code ./etc/istio/proxy/envoy-rev.json}),
 *       and SDS on {@code ./var/run/secrets/workload-spiffe-uds/socket}.
 * </ul>
 */
final class EnvoyStandIn implements AutoCloseable {
  static final String XDS_SOCKET = "etc/istio/proxy/XDS";
  static final String SDS_SOCKET = "var/run/secrets/workload-spiffe-uds/socket";
  static final String BOOTSTRAP = "etc/istio/proxy/envoy-rev.json";

  /** The node of the bootstrap, sent on each stream's first request. */
  final Node node;

  /** How the bootstrap tells Envoy to speak ADS ({@code DELTA_GRPC} or {@code GRPC}). */
  final String adsApiType;

  private final ManagedChannel xds;
  private final ManagedChannel sds;

  /**
   * Connects where the agent's bootstrap tells Envoy to: clusters {@code xds-grpc}, {@code
   * sds-grpc}.
   */
  EnvoyStandIn(PilotAgent agent) throws IOException {
    JsonNode bootstrap = new ObjectMapper().readTree(agent.path(BOOTSTRAP).toFile());
    this.node = node(bootstrap);
    this.adsApiType =
        bootstrap.path("dynamic_resources").path("ads_config").path("api_type").asText();
    this.xds = channel(agent.dir.resolve(pipe(bootstrap, "xds-grpc")));
    this.sds = channel(agent.dir.resolve(pipe(bootstrap, "sds-grpc")));
  }

  /**
   * The Unix socket of static cluster {@code name} in the bootstrap, relative to the agent's cwd.
   */
  static String pipe(JsonNode bootstrap, String name) {
    for (JsonNode c : bootstrap.path("static_resources").path("clusters")) {
      if (c.path("name").asText().equals(name)) {
        String path =
            c.path("load_assignment")
                .path("endpoints")
                .path(0)
                .path("lb_endpoints")
                .path(0)
                .path("endpoint")
                .path("address")
                .path("pipe")
                .path("path")
                .asText();
        if (!path.isEmpty()) {
          return path;
        }
      }
    }
    throw new AssertionError("the bootstrap has no cluster " + name + " on a Unix socket");
  }

  /** Writes the stand-in program for Envoy into {@code dir} and returns its path. */
  static Path script(Path dir) throws IOException {
    Path script = dir.resolve("envoy-stand-in");
    Files.writeString(
        script,
        """
        #!/bin/sh
        # A stand-in for Envoy: started by pilot-agent with Envoy's arguments, it ignores them and
        # lives as long as the agent does.
        while kill -0 "$PPID" 2>/dev/null; do sleep 1; done
        """);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  /**
   * The node Envoy would send: the {@code node} of the bootstrap the agent wrote (id, cluster,
   * locality, metadata from {@code ISTIO_META_*}, the pod's labels...).
   */
  static Node node(JsonNode json) throws IOException {
    Node.Builder node = Node.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(json.path("node").toString(), node);
    return node.setUserAgentName("envoy").build();
  }

  private static ManagedChannel channel(Path socket) {
    return Grpc.newChannelBuilder("unix:" + socket, InsecureChannelCredentials.create()).build();
  }

  /** Opens a Delta ADS stream on the agent's XDS socket. */
  Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> deltaAds() {
    Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> s = new Stream<>();
    s.out = AggregatedDiscoveryServiceGrpc.newStub(xds).deltaAggregatedResources(s);
    return s;
  }

  /** Opens an SDS stream on the agent's SDS socket, as Envoy does for each secret it uses. */
  Stream<DiscoveryRequest, DiscoveryResponse> sds() {
    Stream<DiscoveryRequest, DiscoveryResponse> s = new Stream<>();
    s.out = SecretDiscoveryServiceGrpc.newStub(sds).streamSecrets(s);
    return s;
  }

  /** One gRPC stream: requests go out, responses (or the stream's end) queue up. */
  static final class Stream<Q, R> implements StreamObserver<R> {
    private final BlockingQueue<Object> in = new LinkedBlockingQueue<>();
    StreamObserver<Q> out;

    void send(Q request) {
      out.onNext(request);
    }

    /** The next response; fails when the stream ended or nothing came in {@code seconds}. */
    @SuppressWarnings("unchecked")
    R next(long seconds) throws InterruptedException {
      Object o = in.poll(seconds, TimeUnit.SECONDS);
      if (o == null) {
        throw new AssertionError("no response in " + seconds + " s");
      }
      if (o instanceof Throwable t) {
        throw new AssertionError("stream ended: " + t, t);
      }
      if (o == END) {
        throw new AssertionError("stream ended by the server");
      }
      return (R) o;
    }

    void close() {
      out.onCompleted();
    }

    @Override
    public void onNext(R value) {
      in.add(value);
    }

    @Override
    public void onError(Throwable t) {
      in.add(t);
    }

    @Override
    public void onCompleted() {
      in.add(END);
    }
  }

  private static final Object END = new Object();

  @Override
  public void close() throws InterruptedException {
    xds.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    sds.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
