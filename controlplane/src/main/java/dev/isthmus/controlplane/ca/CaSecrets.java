package dev.isthmus.controlplane.ca;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CaSecrets} finds the CA's signing material in Kubernetes, with Istio's precedence: Secret
 * {@code cacerts} (a plugged-in CA) wins over Secret {@code istio-ca-secret} (the self-signed
 * root), which is created with a fresh key on first start. It also re-issues a self-signed root
 * from the same key when it enters its grace period.
 *
 * <p>A root is generated only when the CA has none yet. Once running, losing a Secret never
 * replaces the root, because every workload certificate and every namespace's {@code
 * istio-ca-root-cert} depends on it: a deleted {@code istio-ca-secret} is written back from memory
 * (same key, same certificate), and a deleted {@code cacerts} leaves the plugged-in chain in use
 * from memory until {@code cacerts} is back or the control plane restarts. {@code cacerts} is not
 * written back, nor is its key copied into {@code istio-ca-secret}: that material belongs to
 * whoever plugged it in, and a self-signed Secret holding an intermediate would be taken for a root
 * on the next start. Either loss is a Warning Event and a {@link CaMetrics} counter.
 */
final class CaSecrets {
  static final String SELF_SIGNED_SECRET = "istio-ca-secret";
  static final String PLUGGED_IN_SECRET = "cacerts";
  static final String CA_CERT = "ca-cert.pem";
  static final String CA_KEY = "ca-key.pem";
  static final String ROOT_CERT = "root-cert.pem";
  static final String CERT_CHAIN = "cert-chain.pem";
  static final String SECRET_TYPE = "istio.io/ca-root";

  private static final Logger LOG = LoggerFactory.getLogger(CaSecrets.class);

  private final KubernetesClient client;
  private final CaConfig config;
  private final CaMetrics metrics;
  private final CaEvents events;

  /** The content of istio-ca-secret behind the self-signed authority last returned, for restore. */
  private Map<String, String> selfSignedData;

  private boolean pluggedInLossReported;

  CaSecrets(KubernetesClient client, CaConfig config, CaMetrics metrics) {
    this.client = client;
    this.config = config;
    this.metrics = metrics;
    this.events = new CaEvents(client, config.namespace());
  }

  /**
   * The signing authority to use next, creating or rotating the self-signed root when needed.
   *
   * @param current the authority in use, or null on first start; it is kept (and written back if
   *     self-signed) when its Secret has disappeared
   */
  SigningAuthority load(SigningAuthority current) {
    Secret plugged = get(PLUGGED_IN_SECRET);
    if (plugged != null) {
      pluggedInLossReported = false;
      return pluggedIn(data(plugged), config.namespace() + "/" + PLUGGED_IN_SECRET);
    }
    if (current != null && current.source() == SigningAuthority.Source.PLUGGED_IN) {
      return keepPluggedIn(current);
    }
    for (int attempt = 0; ; attempt++) {
      Secret existing = get(SELF_SIGNED_SECRET);
      try {
        if (existing == null) {
          return current == null ? create() : restore(current);
        }
        Map<String, String> data = data(existing);
        SigningAuthority ca = selfSigned(data, config.namespace() + "/" + SELF_SIGNED_SECRET);
        if (rotationDue(ca)) {
          return rotate(existing, ca);
        }
        selfSignedData = data;
        return ca;
      } catch (KubernetesClientException e) {
        // Create fails with AlreadyExists and rotation with Conflict (both 409) when another
        // replica wrote the Secret first: read and use theirs, never overwrite it.
        if (e.getCode() != 409 || attempt >= 3) {
          throw e;
        }
        LOG.info(
            "Secret {}/{} was written by another replica first: using it",
            config.namespace(),
            SELF_SIGNED_SECRET);
      }
    }
  }

  /** True when {@code ca} is a self-signed root that expires within the grace period. */
  boolean rotationDue(SigningAuthority ca) {
    return ca.source() == SigningAuthority.Source.SELF_SIGNED
        && ca.root().getNotAfter().toInstant().isBefore(Instant.now().plus(config.rootGrace()));
  }

  private SigningAuthority create() {
    KeyPair keys = config.keyType().generate();
    X509Certificate root = CertIssuer.selfSignedRoot(keys, config.trustDomain(), config.rootTtl());
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CA_CERT, Pem.encode(root));
    data.put(CA_KEY, Pem.encode(keys));
    createSelfSignedSecret(data);
    selfSignedData = data;
    LOG.info(
        "created self-signed {} root {} in Secret {}/{}",
        config.keyType(),
        root.getSerialNumber().toString(16),
        config.namespace(),
        SELF_SIGNED_SECRET);
    return new SigningAuthority(
        keys.getPrivate(), List.of(root), List.of(root), SigningAuthority.Source.SELF_SIGNED);
  }

  /** Writes {@code current}, whose istio-ca-secret was deleted, back into a new istio-ca-secret. */
  private SigningAuthority restore(SigningAuthority current) {
    Map<String, String> data = selfSignedData;
    if (data == null || !Pem.encode(current.root()).equals(data.get(CA_CERT))) {
      data = new LinkedHashMap<>();
      data.put(CA_CERT, Pem.encode(current.root()));
      data.put(CA_KEY, Pem.encodePkcs8(current.key()));
    }
    Secret created = createSelfSignedSecret(data);
    selfSignedData = data;
    metrics.rootSecretRestored.increment();
    String serial = current.root().getSerialNumber().toString(16);
    LOG.warn(
        "Secret {}/{} was deleted while its root {} was in use: wrote it back from memory",
        config.namespace(),
        SELF_SIGNED_SECRET,
        serial);
    events.warning(
        SELF_SIGNED_SECRET,
        created,
        "CARootSecretRestored",
        "Secret "
            + SELF_SIGNED_SECRET
            + " was deleted while the CA was using its root (serial "
            + serial
            + "); it was recreated from memory with the same key and certificate. A new root would"
            + " have invalidated every workload certificate in the mesh.");
    return current;
  }

  /** Keeps serving {@code current} although Secret cacerts is gone; reports the loss once. */
  private SigningAuthority keepPluggedIn(SigningAuthority current) {
    if (!pluggedInLossReported) {
      pluggedInLossReported = true;
      metrics.pluggedInSecretMissing.increment();
      String subject = current.signingCert().getSubjectX500Principal().getName();
      LOG.warn(
          "Secret {}/{} was deleted: still signing with the plugged-in CA {} from memory;"
              + " restore the Secret before the control plane restarts",
          config.namespace(),
          PLUGGED_IN_SECRET,
          subject);
      events.warning(
          PLUGGED_IN_SECRET,
          null,
          "PluggedInCASecretMissing",
          "Secret "
              + PLUGGED_IN_SECRET
              + " was deleted while the CA was using it; still signing with "
              + subject
              + " from memory. Restore the Secret: a control plane started without it uses a"
              + " different root.");
    }
    return current;
  }

  private Secret createSelfSignedSecret(Map<String, String> data) {
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(SELF_SIGNED_SECRET)
            .withNamespace(config.namespace())
            .endMetadata()
            .withType(SECRET_TYPE)
            .withData(encode(data))
            .build();
    return client.secrets().inNamespace(config.namespace()).resource(secret).create();
  }

  private SigningAuthority rotate(Secret existing, SigningAuthority ca) {
    X509Certificate root = CertIssuer.reissueRoot(ca.root(), ca.key(), config.rootTtl());
    Map<String, String> data = new LinkedHashMap<>(data(existing));
    data.put(CA_CERT, Pem.encode(root));
    Secret updated =
        new SecretBuilder(existing).withData(encode(data)).withStringData(null).build();
    // resourceVersion is kept, so a concurrent rotation by another replica fails with 409.
    client.secrets().inNamespace(config.namespace()).resource(updated).update();
    selfSignedData = data;
    LOG.info(
        "re-issued self-signed root from the same key: serial {}, expires {}",
        root.getSerialNumber().toString(16),
        root.getNotAfter().toInstant());
    return new SigningAuthority(
        ca.key(), List.of(root), List.of(root), SigningAuthority.Source.SELF_SIGNED);
  }

  /** The self-signed authority in {@code data} ({@code ca-cert.pem}, {@code ca-key.pem}). */
  static SigningAuthority selfSigned(Map<String, String> data, String where) {
    X509Certificate cert = cert(data, CA_CERT, where);
    PrivateKey key = key(data, cert, where);
    return new SigningAuthority(
        key, List.of(cert), List.of(cert), SigningAuthority.Source.SELF_SIGNED);
  }

  /**
   * The plugged-in authority in {@code data}: {@code ca-cert.pem} and {@code ca-key.pem} sign,
   * {@code root-cert.pem} holds the roots, optional {@code cert-chain.pem} the chain from {@code
   * ca-cert.pem} to the root. The chain must verify to a root and the key must match.
   */
  static SigningAuthority pluggedIn(Map<String, String> data, String where) {
    X509Certificate caCert = cert(data, CA_CERT, where);
    PrivateKey key = key(data, caCert, where);
    List<X509Certificate> roots = certs(data, ROOT_CERT, where);
    if (caCert.getBasicConstraints() < 0) {
      throw new IllegalArgumentException(where + "." + CA_CERT + ": not a CA certificate");
    }
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(caCert);
    String chainPem = data.get(CERT_CHAIN);
    if (chainPem != null && !chainPem.isBlank()) {
      for (X509Certificate c : certs(data, CERT_CHAIN, where)) {
        if (!chain.contains(c)) {
          chain.add(c);
        }
      }
    }
    X509Certificate last = chain.get(chain.size() - 1);
    if (!roots.contains(last)) {
      X509Certificate issuer =
          roots.stream()
              .filter(r -> r.getSubjectX500Principal().equals(last.getIssuerX500Principal()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          where
                              + "."
                              + ROOT_CERT
                              + ": no root named "
                              + last.getIssuerX500Principal()
                              + ", the issuer of the chain's last certificate"));
      chain.add(issuer);
    }
    verifyChain(chain, roots, where);
    return new SigningAuthority(key, chain, roots, SigningAuthority.Source.PLUGGED_IN);
  }

  private static void verifyChain(
      List<X509Certificate> chain, List<X509Certificate> roots, String where) {
    if (chain.size() == 1) {
      return; // ca-cert.pem is itself one of the roots
    }
    try {
      validatePkix(chain, roots);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          where + "." + CA_CERT + ": does not verify to " + ROOT_CERT + ": " + e.getMessage(), e);
    }
  }

  /**
   * Validates {@code chain} (leaf first, its root last) against {@code roots} with the JDK's PKIX
   * validator, without revocation checks.
   */
  static void validatePkix(List<X509Certificate> chain, Collection<X509Certificate> roots)
      throws GeneralSecurityException {
    Set<TrustAnchor> anchors =
        roots.stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toSet());
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(
            CertificateFactory.getInstance("X.509")
                .generateCertPath(chain.subList(0, chain.size() - 1)),
            params);
  }

  private static X509Certificate cert(Map<String, String> data, String field, String where) {
    List<X509Certificate> certs = certs(data, field, where);
    if (certs.size() != 1) {
      throw new IllegalArgumentException(
          where + "." + field + ": expected one certificate, found " + certs.size());
    }
    return certs.get(0);
  }

  private static List<X509Certificate> certs(Map<String, String> data, String field, String where) {
    String pem = required(data, field, where);
    try {
      return Pem.certificates(pem);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + "." + field + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey key(Map<String, String> data, X509Certificate cert, String where) {
    PrivateKey key;
    String pem = required(data, CA_KEY, where);
    try {
      key = Pem.privateKey(pem);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + "." + CA_KEY + ": " + e.getMessage(), e);
    }
    try {
      String alg = KeyType.signatureAlgorithm(cert.getPublicKey());
      byte[] probe = "isthmus-ca-key-check".getBytes(StandardCharsets.UTF_8);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      if (v.verify(sig)) {
        return key;
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // fall through to the mismatch error
    }
    throw new IllegalArgumentException(
        where + "." + CA_KEY + ": does not match the public key of " + CA_CERT);
  }

  private static String required(Map<String, String> data, String field, String where) {
    String value = data.get(field);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(where + "." + field + ": missing");
    }
    return value;
  }

  private Secret get(String name) {
    return client.secrets().inNamespace(config.namespace()).withName(name).get();
  }

  /** {@code secret}'s data decoded to strings (stringData is folded in by the API server). */
  static Map<String, String> data(Secret secret) {
    Map<String, String> out = new LinkedHashMap<>();
    if (secret.getData() != null) {
      secret
          .getData()
          .forEach(
              (k, v) ->
                  out.put(
                      k, new String(Base64.getMimeDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    if (secret.getStringData() != null) {
      out.putAll(secret.getStringData());
    }
    return out;
  }

  private static Map<String, String> encode(Map<String, String> data) {
    Map<String, String> out = new LinkedHashMap<>();
    data.forEach(
        (k, v) ->
            out.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return out;
  }
}
