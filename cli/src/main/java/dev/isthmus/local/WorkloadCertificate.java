package dev.isthmus.local;

import dev.isthmus.controlplane.ca.Pem;
import dev.isthmus.controlplane.ca.proto.IstioCertificateRequest;
import dev.isthmus.controlplane.ca.proto.IstioCertificateServiceGrpc;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * {@code WorkloadCertificate} does what Istio's agent does for a workload: it asks the API server
 * for a service-account token with audience {@code istio-ca}, sends a CSR for the workload's SPIFFE
 * identity to {@code IstioCertificateService/CreateCertificate} over TLS, and checks the chain
 * against the root published in the namespace's {@code istio-ca-root-cert} ConfigMap.
 */
public final class WorkloadCertificate {
  private WorkloadCertificate() {}

  /** An issued certificate chain (leaf first) and its key. */
  public record Issued(
      String identity, List<X509Certificate> chain, KeyPair keys, X509Certificate root) {}

  /** Requests and verifies a certificate for {@code namespace/serviceAccount}. */
  public static Issued request(
      KubernetesClient client,
      String caHost,
      int caPort,
      String caAuthority,
      String namespace,
      String serviceAccount,
      String trustDomain)
      throws Exception {
    String token =
        client
            .serviceAccounts()
            .inNamespace(namespace)
            .withName(serviceAccount)
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withAudiences("istio-ca")
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    String rootPem =
        client
            .configMaps()
            .inNamespace(namespace)
            .withName("istio-ca-root-cert")
            .get()
            .getData()
            .get("root-cert.pem");
    X509Certificate root = Pem.certificate(rootPem);
    String identity = "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;

    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = gen.generateKeyPair();
    JcaPKCS10CertificationRequestBuilder csr =
        new JcaPKCS10CertificationRequestBuilder(
            new X500Name("O=" + trustDomain), keys.getPublic());
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(
        Extension.subjectAlternativeName,
        true,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity)));
    csr.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    String csrPem =
        Pem.encode(
            csr.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));

    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress(
                caHost,
                caPort,
                TlsChannelCredentials.newBuilder()
                    .trustManager(
                        new ByteArrayInputStream(rootPem.getBytes(StandardCharsets.UTF_8)))
                    .build())
            .overrideAuthority(caAuthority)
            .build();
    try {
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      var response =
          IstioCertificateServiceGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
              .withDeadlineAfter(20, TimeUnit.SECONDS)
              .createCertificate(
                  IstioCertificateRequest.newBuilder()
                      .setCsr(csrPem)
                      .setValidityDuration(3600)
                      .build());
      List<X509Certificate> chain =
          response.getCertChainList().stream().map(Pem::certificate).toList();
      verify(chain, root);
      return new Issued(identity, chain, keys, root);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Validates the chain (without its root) against {@code root} with the JDK's PKIX validator. */
  public static void verify(List<X509Certificate> chain, X509Certificate root) throws Exception {
    List<X509Certificate> path = chain.stream().filter(c -> !c.equals(root)).toList();
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
  }
}
