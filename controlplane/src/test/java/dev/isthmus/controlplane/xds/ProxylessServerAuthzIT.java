package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.AuthorizationPolicyBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.xds.XdsServerBuilder;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A real data plane enforces AuthorizationPolicies: grpc-java's xDS server ({@code
 * XdsServerBuilder}, bootstrapped as Istio's agent bootstraps proxyless servers) takes its listener
 * from the control plane; a DENY policy on one method refuses it with {@code PERMISSION_DENIED}
 * while the other method still answers, and editing the policy into an ALLOW of that method only
 * turns the verdicts around, without a restart.
 */
@WithKubeApiServer
class ProxylessServerAuthzIT {
  static final String NS = "authz-it";
  static final MethodDescriptor<String, String> SECRET =
      EchoServers.WHO.toBuilder().setFullMethodName("isthmus.test.Echo/Secret").build();

  @Test
  void policiesAreEnforcedByTheGrpcServerAndEditsTakeEffect(KubernetesClient kube)
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    kube.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .serverSideApply();
    kube.services()
        .inNamespace(NS)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("echo-server")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("grpc")
                .withPort(7070)
                .withNewTargetPort(port)
                .endPort()
                .addToSelector("app", "echo-server")
                .endSpec()
                .build())
        .serverSideApply();
    try (ControlPlane cp =
        ControlPlane.start(
            ControlPlaneConfig.defaults()
                .withEphemeralPorts()
                .withDebounce(Duration.ofMillis(50), Duration.ofSeconds(1)),
            kube)) {
      Map<String, Object> bootstrap =
          EchoServers.bootstrap(
              cp.xdsPort(),
              "sidecar~127.0.0.1~echo-server-1." + NS + "~" + NS + ".svc.cluster.local",
              Map.of("GENERATOR", "grpc", "NAMESPACE", NS, "LABELS", Map.of("app", "echo-server")));
      bootstrap.put("server_listener_resource_name_template", "xds.istio.io/grpc/lds/inbound/%s");
      ServerServiceDefinition echo =
          ServerServiceDefinition.builder("isthmus.test.Echo")
              .addMethod(
                  EchoServers.WHO,
                  ServerCalls.asyncUnaryCall(
                      (req, obs) -> {
                        obs.onNext("who");
                        obs.onCompleted();
                      }))
              .addMethod(
                  SECRET,
                  ServerCalls.asyncUnaryCall(
                      (req, obs) -> {
                        obs.onNext("secret");
                        obs.onCompleted();
                      }))
              .build();
      Server server =
          XdsServerBuilder.forPort(port, InsecureServerCredentials.create())
              .overrideBootstrapForTest(bootstrap)
              .addService(echo)
              .build()
              .start();
      ManagedChannel channel =
          Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
              .build();
      try {
        await("the server serves once it has its listener", () -> call(channel, SECRET) == null);
        assertThat(call(channel, EchoServers.WHO)).isNull();

        kube.resource(policy(AuthorizationPolicyAction.DENY)).serverSideApply();
        await(
            "the DENY policy refuses Secret",
            () -> call(channel, SECRET) == Status.Code.PERMISSION_DENIED);
        assertThat(call(channel, EchoServers.WHO)).as("Who is not denied").isNull();

        kube.resource(policy(AuthorizationPolicyAction.ALLOW)).serverSideApply();
        await(
            "the edited policy allows only Secret",
            () -> call(channel, EchoServers.WHO) == Status.Code.PERMISSION_DENIED);
        assertThat(call(channel, SECRET)).as("Secret is now the one allowed").isNull();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  static AuthorizationPolicy policy(AuthorizationPolicyAction action) {
    return new AuthorizationPolicyBuilder()
        .withNewMetadata()
        .withNamespace(NS)
        .withName("secret")
        .endMetadata()
        .withNewSpec()
        .withAction(action)
        .withNewSelector()
        .withMatchLabels(Map.of("app", "echo-server"))
        .endSelector()
        .addNewRule()
        .addNewTo()
        .withNewOperation()
        .withPaths("/isthmus.test.Echo/Secret")
        .endOperation()
        .endTo()
        .endRule()
        .endSpec()
        .build();
  }

  /** The status code of a call, null when it succeeded. */
  static Status.Code call(ManagedChannel ch, MethodDescriptor<String, String> method) {
    try {
      ClientCalls.blockingUnaryCall(
          ch, method, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "hi");
      return null;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (condition.get()) {
        return;
      }
      Thread.sleep(200);
    }
    assertThat(condition.get()).as(what).isTrue();
  }
}
