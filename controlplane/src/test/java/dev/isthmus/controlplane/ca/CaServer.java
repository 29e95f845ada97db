package dev.isthmus.controlplane.ca;

import dev.isthmus.controlplane.ca.proto.IstioCertificateRequest;
import dev.isthmus.controlplane.ca.proto.IstioCertificateResponse;
import dev.isthmus.controlplane.ca.proto.IstioCertificateServiceGrpc;
import dev.isthmus.testing.KubeObjects;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;

/**
 * A {@link Citadel} served over TLS by a real gRPC server on an ephemeral loopback port, and
 * clients that call it the way Istio's agent does.
 */
final class CaServer implements AutoCloseable {
  final Citadel citadel;
  final Server server;

  CaServer(KubernetesClient client, CaConfig config) throws Exception {
    citadel = new Citadel(config);
    citadel.start(client);
    server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress("127.0.0.1", 0), citadel.serverCredentials())
            .addService(citadel.service())
            .build()
            .start();
  }

  /** Calls CreateCertificate with {@code token} (may be null) and no client certificate. */
  IstioCertificateResponse call(String token, String csr, long seconds) throws Exception {
    return call(token, null, null, csr, seconds);
  }

  /** Calls CreateCertificate, optionally with a bearer token and/or a client certificate. */
  IstioCertificateResponse call(
      String token, KeyPair clientKey, List<X509Certificate> clientChain, String csr, long seconds)
      throws Exception {
    return call(citadel, server.getPort(), token, clientKey, clientChain, csr, seconds);
  }

  /** Calls CreateCertificate on {@code port}, trusting {@code citadel}'s roots. */
  static IstioCertificateResponse call(
      Citadel citadel,
      int port,
      String token,
      KeyPair clientKey,
      List<X509Certificate> clientChain,
      String csr,
      long seconds)
      throws Exception {
    TlsChannelCredentials.Builder tls =
        TlsChannelCredentials.newBuilder()
            .trustManager(
                new ByteArrayInputStream(citadel.rootPem().getBytes(StandardCharsets.UTF_8)));
    if (clientKey != null) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "client",
          clientKey.getPrivate(),
          new char[0],
          clientChain.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, new char[0]);
      tls.keyManager(kmf.getKeyManagers());
    }
    ChannelCredentials creds = tls.build();
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress("127.0.0.1", port, creds)
            // Host name verification against the serving certificate's SAN, as the agent does.
            .overrideAuthority("istiod." + citadel.config().namespace() + ".svc")
            .build();
    try {
      Metadata headers = new Metadata();
      if (token != null) {
        headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
      }
      return IstioCertificateServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .createCertificate(
              IstioCertificateRequest.newBuilder()
                  .setCsr(csr)
                  .setValidityDuration(seconds)
                  .build());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The certificate chain issued for {@code identity} (an EC P-256 key) with {@code token}. */
  List<X509Certificate> issue(String token, String identity) throws Exception {
    return call(token, CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), identity), 3600)
        .getCertChainList()
        .stream()
        .map(Pem::certificate)
        .toList();
  }

  /** A service-account token for {@code sa} in {@code ns} from the TokenRequest API. */
  static String token(KubernetesClient client, String ns, String sa, String audience) {
    return client
        .serviceAccounts()
        .inNamespace(ns)
        .withName(sa)
        .tokenRequest(
            new TokenRequestBuilder()
                .withNewSpec()
                .withAudiences(audience)
                .withExpirationSeconds(3600L)
                .endSpec()
                .build())
        .getStatus()
        .getToken();
  }

  /** Creates a namespace named {@code prefix-<random>} and returns its name. */
  static String namespace(KubernetesClient client, String prefix) {
    String name = prefix + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    client
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .build())
        .create();
    return name;
  }

  /** Creates service account {@code sa} in {@code ns} and returns its SPIFFE identity. */
  static String workloadIdentity(KubernetesClient client, String ns, String sa) {
    serviceAccount(client, ns, sa);
    return "spiffe://cluster.local/ns/" + ns + "/sa/" + sa;
  }

  /** Creates or replaces the Secret {@code ns/name} holding {@code data} (as text). */
  static void putSecret(KubernetesClient client, String ns, String name, Map<String, String> data) {
    client
        .secrets()
        .inNamespace(ns)
        .resource(KubeObjects.secret(ns, name, data).build())
        .forceConflicts()
        .serverSideApply();
  }

  /** Creates service account {@code sa} in {@code ns}. */
  static void serviceAccount(KubernetesClient client, String ns, String sa) {
    client
        .serviceAccounts()
        .inNamespace(ns)
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata()
                .withName(sa)
                .endMetadata()
                .build())
        .create();
  }

  /** Polls {@code condition} until it holds; fails with {@code what} after 60 seconds. */
  static void await(String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  @Override
  public void close() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    citadel.close();
  }
}
