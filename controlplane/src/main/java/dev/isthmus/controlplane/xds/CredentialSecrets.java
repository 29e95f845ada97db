package dev.isthmus.controlplane.xds;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CredentialSecrets} serves the TLS credentials that Gateway servers and DestinationRules
 * name with {@code credentialName} over SDS on the proxy's ADS stream, as istiod's secret generator
 * does: {@code kubernetes://<name>} is the certificate and key of Secret {@code <name>} ({@code
 * tls.crt}/{@code tls.key}, or {@code cert}/{@code key}), {@code kubernetes://<name>-cacert} the CA
 * bundle from Secret {@code <name>-cacert} or, failing that, the {@code ca.crt} (or {@code cacert})
 * of Secret {@code <name>}. Secrets are read only from the proxy's own namespace, and only for a
 * proxy whose identity was verified on the TLS port; a Secret that is missing or lacks the keys
 * yields no resource (the listener waits for it, as with Istio), and is logged.
 */
public final class CredentialSecrets {
  private static final Logger LOG = LoggerFactory.getLogger(CredentialSecrets.class);
  public static final String PREFIX = "kubernetes://";
  public static final String CA_SUFFIX = "-cacert";

  private CredentialSecrets() {}

  /**
   * The SDS resources for the {@code kubernetes://} names in {@code names}.
   *
   * @param namespace the proxy's namespace, where the Secrets are looked up
   * @param lookup a Secret's data (base64 values, as stored) by namespace and name, or null
   */
  public static List<Secret> generate(
      Collection<String> names,
      String namespace,
      BiFunction<String, String, Map<String, String>> lookup) {
    List<Secret> out = new ArrayList<>();
    for (String resource : new TreeSet<>(names)) {
      if (!resource.startsWith(PREFIX)) {
        continue;
      }
      String name = resource.substring(PREFIX.length());
      if (name.contains("/")) {
        String[] nsAndName = name.split("/", 2);
        if (!nsAndName[0].equals(namespace)) {
          LOG.warn(
              "{}: credentials of namespace {} are not served to proxies of namespace {}",
              resource,
              nsAndName[0],
              namespace);
          continue;
        }
        name = nsAndName[1];
      }
      Wanted wanted = new Wanted(resource, namespace, name, lookup);
      Optional<Secret> secret = name.endsWith(CA_SUFFIX) ? caBundle(wanted) : certificate(wanted);
      secret.ifPresent(out::add);
    }
    return out;
  }

  /**
   * The SDS resource {@code resource} asked for, naming Secret {@code namespace/name}, and how to
   * read a Secret's data.
   */
  private record Wanted(
      String resource,
      String namespace,
      String name,
      BiFunction<String, String, Map<String, String>> lookup) {
    Map<String, String> data(String secret) {
      return lookup.apply(namespace, secret);
    }

    /** {@code namespace/name}, for messages. */
    String secret() {
      return namespace + "/" + name;
    }
  }

  private static Optional<Secret> certificate(Wanted w) {
    Map<String, String> data = w.data(w.name());
    if (data == null) {
      LOG.warn("{}: Secret {} not found", w.resource(), w.secret());
      return Optional.empty();
    }
    Optional<ByteString> cert = first(data, "tls.crt", "cert");
    Optional<ByteString> key = first(data, "tls.key", "key");
    if (cert.isEmpty() || key.isEmpty()) {
      LOG.warn("{}: Secret {} has no tls.crt/tls.key (or cert/key)", w.resource(), w.secret());
      return Optional.empty();
    }
    TlsCertificate tls =
        TlsCertificate.newBuilder()
            .setCertificateChain(inline(cert.get()))
            .setPrivateKey(inline(key.get()))
            .build();
    return Optional.of(Secret.newBuilder().setName(w.resource()).setTlsCertificate(tls).build());
  }

  private static Optional<Secret> caBundle(Wanted w) {
    Map<String, String> own = w.data(w.name());
    Optional<ByteString> ca = own == null ? Optional.empty() : first(own, "ca.crt", "cacert");
    if (ca.isEmpty()) {
      Map<String, String> main =
          w.data(w.name().substring(0, w.name().length() - CA_SUFFIX.length()));
      ca = main == null ? Optional.empty() : first(main, "ca.crt", "cacert");
    }
    if (ca.isEmpty()) {
      LOG.warn(
          "{}: neither Secret {} nor the credential it belongs to has ca.crt (or cacert)",
          w.resource(),
          w.secret());
      return Optional.empty();
    }
    var trust = CertificateValidationContext.newBuilder().setTrustedCa(inline(ca.get()));
    return Optional.of(
        Secret.newBuilder().setName(w.resource()).setValidationContext(trust).build());
  }

  private static DataSource inline(ByteString bytes) {
    return DataSource.newBuilder().setInlineBytes(bytes).build();
  }

  private static Optional<ByteString> first(Map<String, String> data, String... keys) {
    for (String k : keys) {
      String v = data.get(k);
      if (v != null && !v.isBlank()) {
        try {
          return Optional.of(ByteString.copyFrom(Base64.getDecoder().decode(v.trim())));
        } catch (IllegalArgumentException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /**
   * {@code generated} plus the SDS credentials its listeners and clusters name, for a proxy whose
   * identity was verified ({@code verifiedIdentity} non-null); other proxies get none. Resources
   * that name no credential are returned as they are, so proxies keep sharing them.
   */
  public static ProxyResources decorate(
      ProxyNode proxy,
      String verifiedIdentity,
      ProxyResources generated,
      BiFunction<String, String, Map<String, String>> lookup) {
    return decorate(proxy, verifiedIdentity, identity -> true, generated, lookup);
  }

  /**
   * As {@link #decorate(ProxyNode, String, ProxyResources, BiFunction)}, serving the credentials
   * only when {@code mayRead} allows the identity. As istiod, the identity is checked only for a
   * proxy whose configuration names credentials: an ordinary sidecar costs no access review.
   */
  public static ProxyResources decorate(
      ProxyNode proxy,
      String verifiedIdentity,
      Predicate<String> mayRead,
      ProxyResources generated,
      BiFunction<String, String, Map<String, String>> lookup) {
    List<String> names = List.of();
    if (verifiedIdentity != null && proxy.type() != ProxyNode.Type.PROXYLESS_GRPC) {
      TreeSet<String> all = new TreeSet<>();
      for (String type : List.of(Resources.V3.LISTENER_TYPE_URL, Resources.V3.CLUSTER_TYPE_URL)) {
        generated.resources(type).forEach((name, v) -> all.addAll(referencedBy(type, name, v)));
      }
      if (!all.isEmpty() && mayRead.test(verifiedIdentity)) {
        names = List.copyOf(all);
      }
    }
    String type = Resources.V3.SECRET_TYPE_URL;
    if (names.isEmpty()) {
      return generated.resources(type).isEmpty() ? generated : generated.with(type, List.of());
    }
    return generated.with(type, generate(names, proxy.namespace(), lookup));
  }

  /**
   * Names a resource refers to, by content hash: resources are shared between proxies and pushes,
   * so each distinct listener or cluster is inspected once, not once per proxy and push.
   */
  private static final Cache<String, List<String>> REFERENCED =
      CacheBuilder.newBuilder().maximumSize(200_000).build();

  private static List<String> referencedBy(
      String type, String name, io.envoyproxy.controlplane.cache.VersionedResource<?> v) {
    String key = type + '\u0000' + name + '\u0000' + v.version();
    List<String> cached = REFERENCED.getIfPresent(key);
    if (cached == null) {
      cached =
          v.resource() instanceof Listener l
              ? referenced(List.of(l), List.of())
              : v.resource() instanceof Cluster c ? referenced(List.of(), List.of(c)) : List.of();
      REFERENCED.put(key, cached);
    }
    return cached;
  }

  /** The {@code kubernetes://} SDS names the listeners and clusters of a proxy refer to, sorted. */
  public static List<String> referenced(List<Listener> listeners, List<Cluster> clusters) {
    TreeSet<String> names = new TreeSet<>();
    for (Listener l : listeners) {
      for (FilterChain fc : l.getFilterChainsList()) {
        if (fc.hasTransportSocket()) {
          collect(fc.getTransportSocket(), DownstreamTlsContext.class, names);
        }
      }
      if (l.hasDefaultFilterChain() && l.getDefaultFilterChain().hasTransportSocket()) {
        collect(l.getDefaultFilterChain().getTransportSocket(), DownstreamTlsContext.class, names);
      }
    }
    for (Cluster c : clusters) {
      if (c.hasTransportSocket()) {
        collect(c.getTransportSocket(), UpstreamTlsContext.class, names);
      }
      c.getTransportSocketMatchesList()
          .forEach(m -> collect(m.getTransportSocket(), UpstreamTlsContext.class, names));
    }
    return List.copyOf(names);
  }

  private static void collect(
      TransportSocket socket,
      Class<? extends com.google.protobuf.Message> type,
      TreeSet<String> out) {
    if (!socket.hasTypedConfig()) {
      return;
    }
    Any any = socket.getTypedConfig();
    CommonTlsContext common;
    try {
      if (type == DownstreamTlsContext.class && any.is(DownstreamTlsContext.class)) {
        common = any.unpack(DownstreamTlsContext.class).getCommonTlsContext();
      } else if (type == UpstreamTlsContext.class && any.is(UpstreamTlsContext.class)) {
        common = any.unpack(UpstreamTlsContext.class).getCommonTlsContext();
      } else {
        return;
      }
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    common.getTlsCertificateSdsSecretConfigsList().stream()
        .map(s -> s.getName())
        .filter(n -> n.startsWith(PREFIX))
        .forEach(out::add);
    if (common.hasValidationContextSdsSecretConfig()
        && common.getValidationContextSdsSecretConfig().getName().startsWith(PREFIX)) {
      out.add(common.getValidationContextSdsSecretConfig().getName());
    }
    if (common.hasCombinedValidationContext()
        && common
            .getCombinedValidationContext()
            .getValidationContextSdsSecretConfig()
            .getName()
            .startsWith(PREFIX)) {
      out.add(
          common.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName());
    }
  }
}
