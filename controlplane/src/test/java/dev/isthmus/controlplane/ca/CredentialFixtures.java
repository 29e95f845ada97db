package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.networking.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A gateway with an HTTPS server whose {@code credentialName} is {@code gw-cred}, the Secret, the
 * RBAC that lets a service account read its namespace's Secrets, and the gateway's node: what the
 * tests of credentials over SDS share.
 */
final class CredentialFixtures {
  static final String CRED = "kubernetes://gw-cred";

  private CredentialFixtures() {}

  static void secretReader(KubernetesClient client, String ns, String sa) {
    client
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(sa + "-sds")
                .endMetadata()
                .addNewRule()
                .withApiGroups("")
                .withResources("secrets")
                .withVerbs("get", "watch", "list")
                .endRule()
                .build())
        .create();
    client
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(sa + "-sds")
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("Role")
                .withName(sa + "-sds")
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(sa)
                .withNamespace(ns)
                .endSubject()
                .build())
        .create();
  }

  static io.fabric8.istio.api.networking.v1.Gateway gateway(String ns) {
    return new GatewayBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName("gw")
        .endMetadata()
        .withNewSpec()
        .addToSelector("istio", "ingressgateway")
        .addNewServer()
        .withNewPort()
        .withNumber(443L)
        .withName("https")
        .withProtocol("HTTPS")
        .endPort()
        .withHosts("*")
        .withNewTls()
        .withMode(ServerTLSSettingsTLSmode.SIMPLE)
        .withCredentialName("gw-cred")
        .endTls()
        .endServer()
        .endSpec()
        .build();
  }

  static io.fabric8.kubernetes.api.model.Secret secret(String ns, String cert) {
    return new SecretBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName("gw-cred")
        .endMetadata()
        .withType("kubernetes.io/tls")
        .addToData("tls.crt", b64(cert))
        .addToData("tls.key", b64("KEY"))
        .build();
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static String certificate(DiscoveryResponse r) throws Exception {
    assertThat(r.getResourcesList()).hasSize(1);
    Secret s = r.getResources(0).unpack(Secret.class);
    assertThat(s.getName()).isEqualTo(CRED);
    return s.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8();
  }

  /** The gateway's node id; {@code NAMESPACE} metadata as the caller claims it. */
  static Node router(String ns, String claimedNamespace) {
    return Node.newBuilder()
        .setId("router~10.1.0.50~gw-1." + ns + "~" + ns + ".svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue(claimedNamespace).build())
                .putFields(
                    "LABELS",
                    Value.newBuilder()
                        .setStructValue(
                            Struct.newBuilder()
                                .putFields(
                                    "istio",
                                    Value.newBuilder().setStringValue("ingressgateway").build()))
                        .build()))
        .build();
  }
}
