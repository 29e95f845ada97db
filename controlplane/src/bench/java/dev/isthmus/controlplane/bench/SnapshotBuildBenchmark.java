package dev.isthmus.controlplane.bench;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.discovery.MeshIndex;
import dev.isthmus.controlplane.discovery.MeshModelBuilder;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.xds.ProxyNode;
import dev.isthmus.controlplane.xds.ProxyResources;
import dev.isthmus.controlplane.xds.ResourceGenerator;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Snapshot build cost for N services with 10 endpoints each: the mesh model from raw objects (full
 * rebuild, and the incremental model after one EndpointSlice or one VirtualService changed), and all
 * xDS resources for one sidecar, one proxyless client, and an EDS-only regeneration.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SnapshotBuildBenchmark {
  @Param({"1000"})
  public int services;

  ClusterState state;
  MeshSnapshot mesh;
  ProxyNode sidecar;
  ProxyNode proxyless;
  ProxyResources sidecarResources;
  MeshModelBuilder builder;
  MeshIndex index;
  EndpointSlice[] sliceVersions;
  io.fabric8.istio.api.networking.v1.VirtualService[] vsVersions;
  int flip;

  @Setup
  public void setup() {
    List<Service> svcs = new ArrayList<>();
    List<EndpointSlice> slices = new ArrayList<>();
    for (int i = 0; i < services; i++) {
      String ns = "ns" + (i % 20);
      String name = "svc" + i;
      svcs.add(
          new ServiceBuilder()
              .withNewMetadata().withNamespace(ns).withName(name).endMetadata()
              .withNewSpec()
              .withClusterIP("10.96." + (i / 250) + "." + (i % 250))
              .addNewPort().withName("http").withPort(8080).endPort()
              .addToSelector("app", name)
              .endSpec()
              .build());
      var b =
          new EndpointSliceBuilder()
              .withNewMetadata().withNamespace(ns).withName(name + "-x")
              .addToLabels("kubernetes.io/service-name", name).endMetadata()
              .withAddressType("IPv4")
              .addNewPort().withName("http").withPort(8080).endPort();
      for (int e = 0; e < 10; e++) {
        b.addNewEndpoint()
            .withAddresses("10." + (i / 250 + 1) + "." + (i % 250) + "." + (e + 1))
            .withNewConditions().withReady(true).endConditions()
            .withZone("zone-" + (e % 3))
            .endEndpoint();
      }
      slices.add(b.build());
    }
    state = ClusterState.empty().withKubernetes(svcs, slices);
    builder = new MeshModelBuilder("cluster.local", "istio-system", (k, r) -> {});
    mesh = builder.build(state);
    sidecar = ProxyNode.parse(Node.newBuilder().setId("sidecar~10.0.0.1~app.ns0~ns0.svc.cluster.local").build());
    proxyless =
        ProxyNode.parse(
            Node.newBuilder()
                .setId("sidecar~10.0.0.2~client.ns0~ns0.svc.cluster.local")
                .setMetadata(
                    com.google.protobuf.Struct.newBuilder()
                        .putFields("GENERATOR", com.google.protobuf.Value.newBuilder().setStringValue("grpc").build()))
                .build());
    sidecarResources = ResourceGenerator.generate(mesh, sidecar);
    index = MeshIndex.of(builder, state);
    index.snapshot();
    sliceVersions = new EndpointSlice[] {BenchMesh.slice(0, 9), BenchMesh.slice(0, 10)};
    vsVersions =
        new io.fabric8.istio.api.networking.v1.VirtualService[] {
          BenchMesh.timeout("3s"), BenchMesh.timeout("4s")
        };
  }

  /** The incremental model after one EndpointSlice changed: the new snapshot. */
  @Benchmark
  public MeshSnapshot incrementalEndpointChange() {
    index.upsert(sliceVersions[flip++ & 1]);
    return index.snapshot();
  }

  /** The incremental model after one VirtualService changed: the new snapshot. */
  @Benchmark
  public MeshSnapshot incrementalConfigChange() {
    index.upsert(vsVersions[flip++ & 1]);
    return index.snapshot();
  }

  @Benchmark
  public MeshSnapshot buildMeshModel() {
    return builder.build(state);
  }

  @Benchmark
  public ProxyResources generateSidecar() {
    return ResourceGenerator.generate(mesh, sidecar);
  }

  @Benchmark
  public ProxyResources generateProxyless() {
    return ResourceGenerator.generate(mesh, proxyless);
  }

  @Benchmark
  public ProxyResources regenerateEndpointsOnly() {
    return ResourceGenerator.regenerateEndpoints(mesh, sidecar, sidecarResources);
  }
}
