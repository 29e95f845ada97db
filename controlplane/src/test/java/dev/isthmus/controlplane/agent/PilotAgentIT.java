package dev.isthmus.controlplane.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.ca.CaConfig;
import dev.isthmus.controlplane.ca.Citadel;
import dev.isthmus.testing.WithKubeApiServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Istio's own {@code pilot-agent} ({@code scripts/istio-binaries.sh}) is a real client of Isthmus:
 * started as the {@code istio-proxy} container Isthmus's injector renders for the default profile
 * with DNS proxying (arguments and environment, a projected {@code istio-ca} token, the {@code
 * istio-ca-root-cert} root) against the control plane and CA on the TLS port, it proxies Envoy's
 * Delta ADS to Isthmus, serves Envoy certificates Isthmus issued and renews them before they
 * expire, and answers DNS from the name table Isthmus sends. A stand-in for Envoy ({@link
 * EnvoyStandIn}) takes Envoy's place on the agent's sockets.
 */
@WithKubeApiServer
class PilotAgentIT {
  static final String SA = "sleep";
  static final Duration SECRET_TTL = Duration.ofSeconds(20);

  static String ns;
  static Citadel citadel;
  static ControlPlane cp;
  static InjectedProxy proxy;
  static PilotAgent agent;
  static EnvoyStandIn envoy;
  static X509Certificate root;

  @BeforeAll
  static void start(KubernetesClient kube) throws Exception {
    Path binary = PilotAgent.binary();
    String cpNs = namespace(kube, "agent-cp");
    ns = namespace(kube, "agent-app");
    kube.serviceAccounts()
        .inNamespace(ns)
        .resource(new ServiceAccountBuilder().withNewMetadata().withName(SA).endMetadata().build())
        .create();
    reviews(kube);

    citadel = new Citadel(CaConfig.defaults(cpNs));
    citadel.start(kube);
    cp =
        ControlPlane.start(
            ControlPlaneConfig.defaults()
                .withEphemeralPorts()
                .withNamespace(cpNs)
                .withDebounce(Duration.ofMillis(20), Duration.ofMillis(500)),
            kube,
            citadel);

    await(
        "istio-ca-root-cert in " + ns,
        () -> kube.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get() != null);
    ConfigMap rootCm = kube.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get();
    String rootPem = rootCm.getData().get("root-cert.pem");
    root = pem(rootPem).get(0);
    String token =
        kube.serviceAccounts()
            .inNamespace(ns)
            .withName(SA)
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withAudiences("istio-ca")
                    .withExpirationSeconds(43200L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();

    // the pod as Isthmus's injector renders it for the default profile with DNS proxying on
    proxy =
        InjectedProxy.inject(
            ns,
            "sleep-6c9f8b7d5-x2x9q",
            SA,
            Map.of("app", "sleep", "version", "v1"),
            cpNs,
            List.of("meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE=true"),
            "10.1.0.9");
    assertThat(proxy.args()).startsWith("proxy", "sidecar");
    assertThat(proxy.env())
        .containsEntry("CA_ADDR", "istiod." + cpNs + ".svc:15012")
        .containsEntry("PILOT_CERT_PROVIDER", "istiod")
        .containsEntry("ISTIO_META_DNS_CAPTURE", "true");
    agent =
        PilotAgent.start(
            binary, proxy, new PilotAgent.Secrets(token, rootPem), cp.secureXdsPort(), SECRET_TTL);
    await(
        "the agent's bootstrap and sockets",
        () ->
            Files.exists(agent.path(EnvoyStandIn.BOOTSTRAP))
                && Files.exists(agent.path(EnvoyStandIn.XDS_SOCKET))
                && Files.exists(agent.path(EnvoyStandIn.SDS_SOCKET)));
    envoy = new EnvoyStandIn(agent);
  }

  @AfterAll
  static void stop() throws Exception {
    if (envoy != null) {
      envoy.close();
    }
    if (agent != null) {
      agent.close();
      System.out.println("pilot-agent output:\n" + agent.output());
    }
    if (cp != null) {
      cp.close();
    }
    if (citadel != null) {
      citadel.close();
    }
  }

  static String reviewsHost() {
    return "reviews." + ns + ".svc.cluster.local";
  }

  @Test
  void theAgentProxiesIsthmusSidecarConfigToEnvoy() throws Exception {
    String cluster = "outbound|9080||" + reviewsHost();
    assertThat(envoy.adsApiType)
        .as("the ADS protocol of the agent's bootstrap")
        .isEqualTo("DELTA_GRPC");
    var ads = envoy.deltaAds();
    try {
      ads.send(
          DeltaDiscoveryRequest.newBuilder()
              .setNode(envoy.node)
              .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
              .build());
      DeltaDiscoveryResponse cds = expect(ads, Resources.V3.CLUSTER_TYPE_URL);
      assertThat(names(cds)).contains(cluster, "PassthroughCluster", "BlackHoleCluster");
      Cluster reviews = unpack(cds, cluster, Cluster.class);
      assertThat(reviews.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
      // Auto mTLS: toward Istio endpoints Envoy presents the agent's certificates, read over SDS
      // from the bootstrap's sds-grpc cluster (the agent), never from the control plane.
      CommonTlsContext tls =
          reviews.getTransportSocketMatchesList().stream()
              .filter(m -> m.getTransportSocket().hasTypedConfig())
              .findFirst()
              .orElseThrow(() -> new AssertionError("no TLS transport socket on " + cluster))
              .getTransportSocket()
              .getTypedConfig()
              .unpack(UpstreamTlsContext.class)
              .getCommonTlsContext();
      assertThat(tls.getTlsCertificateSdsSecretConfigsList())
          .singleElement()
          .satisfies(c -> assertThat(c.getName()).isEqualTo("default"))
          .satisfies(c -> assertThat(sdsCluster(c)).isEqualTo("sds-grpc"));
      SdsSecretConfig roots =
          tls.getCombinedValidationContext().getValidationContextSdsSecretConfig();
      assertThat(roots.getName()).isEqualTo("ROOTCA");
      assertThat(sdsCluster(roots)).isEqualTo("sds-grpc");

      ads.send(
          DeltaDiscoveryRequest.newBuilder()
              .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL)
              .addResourceNamesSubscribe(cluster)
              .build());
      DeltaDiscoveryResponse eds = expect(ads, Resources.V3.ENDPOINT_TYPE_URL);
      ClusterLoadAssignment cla = unpack(eds, cluster, ClusterLoadAssignment.class);
      assertThat(
              cla.getEndpointsList().stream()
                  .flatMap(l -> l.getLbEndpointsList().stream())
                  .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress()))
          .containsExactly("10.1.0.1");

      ads.send(
          DeltaDiscoveryRequest.newBuilder().setTypeUrl(Resources.V3.LISTENER_TYPE_URL).build());
      DeltaDiscoveryResponse lds = expect(ads, Resources.V3.LISTENER_TYPE_URL);
      assertThat(names(lds)).contains("0.0.0.0_9080", "virtualOutbound", "virtualInbound");
      assertThat(unpack(lds, "0.0.0.0_9080", Listener.class).getAddress().getSocketAddress())
          .satisfies(a -> assertThat(a.getPortValue()).isEqualTo(9080));

      ads.send(
          DeltaDiscoveryRequest.newBuilder()
              .setTypeUrl(Resources.V3.ROUTE_TYPE_URL)
              .addResourceNamesSubscribe("9080")
              .build());
      DeltaDiscoveryResponse rds = expect(ads, Resources.V3.ROUTE_TYPE_URL);
      RouteConfiguration routes = unpack(rds, "9080", RouteConfiguration.class);
      VirtualHost vh =
          routes.getVirtualHostsList().stream()
              .filter(v -> v.getDomainsList().contains(reviewsHost()))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no virtual host for " + reviewsHost()));
      assertThat(vh.getName()).isEqualTo(reviewsHost() + ":9080");
      assertThat(vh.getRoutes(0).getRoute().getCluster()).isEqualTo(cluster);
    } finally {
      ads.close();
    }
    assertThat(agent.alive()).as("pilot-agent still running").isTrue();
  }

  @Test
  void theAgentsDnsProxyAnswersFromIsthmusNameTable(KubernetesClient kube) throws Exception {
    String vip = kube.services().inNamespace(ns).withName("reviews").get().getSpec().getClusterIP();
    assertThat(vip).isNotBlank();
    // The agent asks for the name table (NDS) once Envoy has asked for listeners.
    var ads = envoy.deltaAds();
    try {
      ads.send(
          DeltaDiscoveryRequest.newBuilder()
              .setNode(envoy.node)
              .setTypeUrl(Resources.V3.LISTENER_TYPE_URL)
              .build());
      expect(ads, Resources.V3.LISTENER_TYPE_URL);
      List<String> full = List.of();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (full.isEmpty() && System.nanoTime() < deadline) {
        full = Dns.resolve(agent.dnsPort, reviewsHost());
        if (full.isEmpty()) {
          Thread.sleep(200);
        }
      }
      assertThat(full).as("A records of " + reviewsHost()).containsExactly(vip);
      // short forms, from the entry's Kubernetes name and namespace
      assertThat(Dns.resolve(agent.dnsPort, "reviews." + ns)).containsExactly(vip);
      assertThat(Dns.resolve(agent.dnsPort, "reviews")).containsExactly(vip);
    } finally {
      ads.close();
    }
  }

  @Test
  void theAgentServesEnvoyCertificatesIsthmusIssuedAndRenewsThem() throws Exception {
    var rootCa = envoy.sds();
    try {
      rootCa.send(secretRequest("ROOTCA", null));
      Secret rootSecret = secret(rootCa.next(60));
      assertThat(rootSecret.getName()).isEqualTo("ROOTCA");
      assertThat(
              pem(rootSecret.getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8()))
          .containsExactly(root);
    } finally {
      rootCa.close();
    }

    var workload = envoy.sds();
    try {
      workload.send(secretRequest("default", null));
      DiscoveryResponse first = workload.next(60);
      X509Certificate leaf = checkWorkloadCertificate(secret(first));
      Instant issued = Instant.now();
      // The agent asked for SECRET_TTL and Isthmus honoured it (leaves start a minute early).
      assertThat(Duration.between(issued, leaf.getNotAfter().toInstant()))
          .isLessThanOrEqualTo(SECRET_TTL)
          .isGreaterThan(Duration.ZERO);

      workload.send(secretRequest("default", first));
      // At half its lifetime the agent asks Isthmus for a new certificate and pushes it.
      DiscoveryResponse second = workload.next(SECRET_TTL.toSeconds() * 3);
      X509Certificate renewed = checkWorkloadCertificate(secret(second));
      assertThat(renewed.getSerialNumber()).isNotEqualTo(leaf.getSerialNumber());
      assertThat(renewed.getPublicKey()).isNotEqualTo(leaf.getPublicKey());
      assertThat(renewed.getNotAfter()).isAfter(leaf.getNotAfter());
      workload.send(secretRequest("default", second));
    } finally {
      workload.close();
    }
    assertThat(agent.alive()).as("pilot-agent still running").isTrue();
  }

  /** Checks the {@code default} secret: a key, and a chain to the mesh root for the pod's SA. */
  private static X509Certificate checkWorkloadCertificate(Secret s) throws Exception {
    assertThat(s.getName()).isEqualTo("default");
    assertThat(s.getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8())
        .contains("PRIVATE KEY");
    List<X509Certificate> chain =
        pem(s.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8());
    X509Certificate leaf = chain.get(0);
    Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
    assertThat(sans).containsExactly(List.of(6, "spiffe://cluster.local/ns/" + ns + "/sa/" + SA));
    PKIXParameters pkix = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    pkix.setRevocationEnabled(false);
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> path = new ArrayList<>(chain);
    path.removeIf(c -> c.equals(root));
    CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), pkix);
    return leaf;
  }

  private static String sdsCluster(SdsSecretConfig c) {
    return c.getSdsConfig().getApiConfigSource().getGrpcServices(0).getEnvoyGrpc().getClusterName();
  }

  private static DiscoveryRequest secretRequest(String name, DiscoveryResponse ack) {
    DiscoveryRequest.Builder b =
        DiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.SECRET_TYPE_URL)
            .addResourceNames(name);
    if (ack == null) {
      b.setNode(envoy.node);
    } else {
      b.setVersionInfo(ack.getVersionInfo()).setResponseNonce(ack.getNonce());
    }
    return b.build();
  }

  private static Secret secret(DiscoveryResponse r) throws Exception {
    assertThat(r.getTypeUrl()).isEqualTo(Resources.V3.SECRET_TYPE_URL);
    assertThat(r.getResourcesCount()).isEqualTo(1);
    return r.getResources(0).unpack(Secret.class);
  }

  /** The next response of {@code type}; every response is acknowledged, as Envoy does. */
  private static DeltaDiscoveryResponse expect(
      EnvoyStandIn.Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> ads, String type)
      throws InterruptedException {
    while (true) {
      DeltaDiscoveryResponse r = ads.next(60);
      ads.send(
          DeltaDiscoveryRequest.newBuilder()
              .setTypeUrl(r.getTypeUrl())
              .setResponseNonce(r.getNonce())
              .build());
      if (r.getTypeUrl().equals(type)) {
        return r;
      }
    }
  }

  private static List<String> names(DeltaDiscoveryResponse r) {
    return r.getResourcesList().stream().map(Resource::getName).toList();
  }

  private static <T extends com.google.protobuf.Message> T unpack(
      DeltaDiscoveryResponse r, String name, Class<T> type) throws Exception {
    for (Resource res : r.getResourcesList()) {
      if (res.getName().equals(name)) {
        return res.getResource().unpack(type);
      }
    }
    throw new AssertionError(name + " not in " + names(r));
  }

  private static List<X509Certificate> pem(String pem) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    return cf
        .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)))
        .stream()
        .map(X509Certificate.class::cast)
        .toList();
  }

  /** Service {@code reviews} (HTTP on 9080) with one ready endpoint, a documentation address. */
  private static void reviews(KubernetesClient kube) {
    kube.services()
        .inNamespace(ns)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("reviews")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("http")
                .withPort(9080)
                .withNewTargetPort(9080)
                .endPort()
                .addToSelector("app", "reviews")
                .endSpec()
                .build())
        .create();
    kube.resource(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName("reviews-abc")
                .addToLabels("kubernetes.io/service-name", "reviews")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort()
                .withName("http")
                .withPort(9080)
                .withProtocol("TCP")
                .endPort()
                .addNewEndpoint()
                .withAddresses("10.1.0.1")
                .withNewConditions()
                .withReady(true)
                .withServing(true)
                .withTerminating(false)
                .endConditions()
                .endEndpoint()
                .build())
        .create();
  }

  private static String namespace(KubernetesClient kube, String prefix) {
    String name = prefix + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    kube.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }

  /** Polls until {@code ok}; fails after 60 s, with the agent's output once it runs. */
  private static void await(String what, BooleanSupplier ok) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!ok.getAsBoolean()) {
      if (agent != null && !agent.alive()) {
        throw new AssertionError("pilot-agent exited waiting for " + what + ":\n" + agent.output());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out waiting for "
                + what
                + (agent == null ? "" : "; pilot-agent output:\n" + agent.output()));
      }
      Thread.sleep(100);
    }
  }
}
