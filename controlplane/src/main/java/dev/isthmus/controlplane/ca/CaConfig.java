package dev.isthmus.controlplane.ca;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * {@code CaConfig} configures {@link Citadel}. Use {@link #defaults(String)} and the {@code with*}
 * methods; the canonical constructor validates every field and names the offending one.
 *
 * @param namespace the control-plane namespace (holds {@code istio-ca-secret} and {@code cacerts})
 * @param trustDomain SPIFFE trust domain, {@code cluster.local} by default
 * @param audiences token audiences accepted by TokenReview, {@code [istio-ca]} by default
 * @param keyType key type of a self-signed root and of the serving certificate
 * @param workloadTtl certificate lifetime when a request does not ask for one (24h)
 * @param maxTtl longest lifetime issued; longer requests are capped (90 days)
 * @param rootTtl lifetime of the self-signed root (10 years)
 * @param rootGrace the self-signed root is re-issued from the same key when it expires within this
 *     period (2 years, a fifth of the default root lifetime as in Istio)
 * @param revision control-plane revision, {@code default} when empty; adds {@code
 *     istiod-<rev>.<ns>.svc} to the serving certificate
 * @param servingDnsNames extra SANs for the serving certificate: DNS names, or IP addresses
 * @param servingTtl lifetime of the serving certificate; renewed at half-life (24h)
 * @param checkInterval how often roots and the serving certificate are checked for rotation (1m)
 */
public record CaConfig(
    String namespace,
    String trustDomain,
    List<String> audiences,
    KeyType keyType,
    Duration workloadTtl,
    Duration maxTtl,
    Duration rootTtl,
    Duration rootGrace,
    String revision,
    List<String> servingDnsNames,
    Duration servingTtl,
    Duration checkInterval) {

  /** Validates every field. */
  public CaConfig {
    require(namespace != null && !namespace.isBlank(), "namespace", "must not be empty");
    require(trustDomain != null && !trustDomain.isBlank(), "trustDomain", "must not be empty");
    require(audiences != null && !audiences.isEmpty(), "audiences", "must not be empty");
    Objects.requireNonNull(keyType, "keyType");
    positive(workloadTtl, "workloadTtl");
    positive(maxTtl, "maxTtl");
    positive(rootTtl, "rootTtl");
    positive(servingTtl, "servingTtl");
    positive(checkInterval, "checkInterval");
    require(rootGrace != null && !rootGrace.isNegative(), "rootGrace", "must not be negative");
    require(
        rootGrace.compareTo(rootTtl) < 0,
        "rootGrace",
        "must be shorter than rootTtl (" + rootTtl + "), got " + rootGrace);
    require(
        workloadTtl.compareTo(maxTtl) <= 0,
        "workloadTtl",
        "must not exceed maxTtl (" + maxTtl + "), got " + workloadTtl);
    audiences = List.copyOf(audiences);
    revision = revision == null || revision.isBlank() ? "default" : revision;
    servingDnsNames = servingDnsNames == null ? List.of() : List.copyOf(servingDnsNames);
  }

  /** Istio's defaults for a control plane in {@code namespace}. */
  public static CaConfig defaults(String namespace) {
    return new CaConfig(
        namespace,
        "cluster.local",
        List.of("istio-ca"),
        KeyType.RSA_2048,
        Duration.ofHours(24),
        Duration.ofDays(90),
        Duration.ofDays(3650),
        Duration.ofDays(730),
        "default",
        List.of(),
        Duration.ofHours(24),
        Duration.ofMinutes(1));
  }

  /** A copy with {@code trustDomain}. */
  public CaConfig withTrustDomain(String trustDomain) {
    return with(c -> c.trustDomain = trustDomain);
  }

  /** A copy with {@code audiences}. */
  public CaConfig withAudiences(List<String> audiences) {
    return with(c -> c.audiences = audiences);
  }

  /** A copy with {@code keyType}. */
  public CaConfig withKeyType(KeyType keyType) {
    return with(c -> c.keyType = keyType);
  }

  /** A copy with the workload default and maximum lifetimes. */
  public CaConfig withTtls(Duration workloadTtl, Duration maxTtl) {
    return with(
        c -> {
          c.workloadTtl = workloadTtl;
          c.maxTtl = maxTtl;
        });
  }

  /** A copy with the self-signed root lifetime and its rotation grace period. */
  public CaConfig withRoot(Duration rootTtl, Duration rootGrace) {
    return with(
        c -> {
          c.rootTtl = rootTtl;
          c.rootGrace = rootGrace;
        });
  }

  /** A copy with {@code revision}. */
  public CaConfig withRevision(String revision) {
    return with(c -> c.revision = revision);
  }

  /** A copy with extra serving DNS names. */
  public CaConfig withServingDnsNames(List<String> servingDnsNames) {
    return with(c -> c.servingDnsNames = servingDnsNames);
  }

  /** A copy with the serving certificate lifetime. */
  public CaConfig withServingTtl(Duration servingTtl) {
    return with(c -> c.servingTtl = servingTtl);
  }

  /** A copy with the rotation check interval. */
  public CaConfig withCheckInterval(Duration checkInterval) {
    return with(c -> c.checkInterval = checkInterval);
  }

  /**
   * DNS SANs of the serving certificate: {@code istiod.<ns>.svc}, {@code istiod-<rev>.<ns>.svc} for
   * a non-default revision, their {@code .cluster.local} forms, {@code istiod.<ns>} and the
   * configured extra names, without duplicates.
   */
  public List<String> servingNames() {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    List<String> services = new ArrayList<>();
    services.add("istiod");
    if (!"default".equals(revision)) {
      services.add("istiod-" + revision);
    }
    for (String svc : services) {
      names.add(svc + "." + namespace + ".svc");
    }
    for (String svc : services) {
      names.add(svc + "." + namespace + ".svc.cluster.local");
      names.add(svc + "." + namespace);
    }
    names.addAll(servingDnsNames);
    return List.copyOf(names);
  }

  /** The SPIFFE identity of service account {@code sa} in namespace {@code ns}. */
  public String spiffeId(String ns, String sa) {
    return "spiffe://" + trustDomain + "/ns/" + ns + "/sa/" + sa;
  }

  private static void positive(Duration d, String field) {
    require(d != null && !d.isNegative() && !d.isZero(), field, "must be positive, got " + d);
  }

  private static void require(boolean ok, String field, String message) {
    if (!ok) {
      throw new IllegalArgumentException(field + ": " + message);
    }
  }

  /** A copy with some fields changed; the canonical constructor checks the result. */
  private CaConfig with(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  /** The fields of a copy being made. */
  private static final class Copy {
    String namespace;
    String trustDomain;
    List<String> audiences;
    KeyType keyType;
    Duration workloadTtl;
    Duration maxTtl;
    Duration rootTtl;
    Duration rootGrace;
    String revision;
    List<String> servingDnsNames;
    Duration servingTtl;
    Duration checkInterval;

    Copy(CaConfig from) {
      this.namespace = from.namespace;
      this.trustDomain = from.trustDomain;
      this.audiences = from.audiences;
      this.keyType = from.keyType;
      this.workloadTtl = from.workloadTtl;
      this.maxTtl = from.maxTtl;
      this.rootTtl = from.rootTtl;
      this.rootGrace = from.rootGrace;
      this.revision = from.revision;
      this.servingDnsNames = from.servingDnsNames;
      this.servingTtl = from.servingTtl;
      this.checkInterval = from.checkInterval;
    }

    CaConfig build() {
      return new CaConfig(
          namespace,
          trustDomain,
          audiences,
          keyType,
          workloadTtl,
          maxTtl,
          rootTtl,
          rootGrace,
          revision,
          servingDnsNames,
          servingTtl,
          checkInterval);
    }
  }
}
