package dev.isthmus.controlplane.server;

import dev.isthmus.controlplane.SecureServing;
import dev.isthmus.controlplane.xds.XdsAuthorization;
import io.grpc.StatusException;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code DebugAccess} guards {@code /debug/*}, which lists every proxy's node id and all mesh
 * configuration: as istiod, it answers callers on localhost (a {@code kubectl port-forward} arrives
 * there) and callers that authenticate as xDS clients do, with a service-account token in {@code
 * Authorization: Bearer}. Stricter than istiod, an authenticated caller must belong to the control
 * plane's own namespace. {@code --debug-open} serves everyone.
 */
public final class DebugAccess implements HttpEndpoints.Guard {
  private static final Logger LOG = LoggerFactory.getLogger(DebugAccess.class);

  private final boolean open;
  private final String namespace;
  private final Optional<SecureServing.XdsAuthenticator> authenticator;
  private final Predicate<InetAddress> local;

  /**
   * @param open whether every caller may read
   * @param namespace the only namespace whose authenticated callers may read
   * @param authenticator how bearer tokens are checked; empty refuses every remote caller
   */
  public DebugAccess(
      boolean open, String namespace, Optional<SecureServing.XdsAuthenticator> authenticator) {
    this(open, namespace, authenticator, InetAddress::isLoopbackAddress);
  }

  /**
   * @param local which peer addresses count as localhost (tests, which have only loopback)
   */
  public DebugAccess(
      boolean open,
      String namespace,
      Optional<SecureServing.XdsAuthenticator> authenticator,
      Predicate<InetAddress> local) {
    this.open = open;
    this.namespace = namespace;
    this.authenticator = authenticator;
    this.local = local;
  }

  @Override
  public HttpEndpoints.Refusal check(InetAddress remote, String authorization) {
    if (open || local.test(remote)) {
      return null;
    }
    if (authorization == null || authenticator.isEmpty()) {
      return new HttpEndpoints.Refusal(
          401,
          "debug endpoints answer localhost, or a caller with a service-account token of namespace "
              + namespace
              + " (Authorization: Bearer)");
    }
    String identity;
    try {
      identity = authenticator.get().authenticate(authorization, List.of());
    } catch (StatusException e) {
      LOG.warn("debug request from {} refused: {}", remote, e.getStatus().getDescription());
      return new HttpEndpoints.Refusal(401, "authentication failure");
    }
    String ns = XdsAuthorization.namespaceOf(identity);
    if (!namespace.equals(ns)) {
      LOG.warn(
          "debug request from {} as {} refused: only namespace {} may read",
          remote,
          identity,
          namespace);
      return new HttpEndpoints.Refusal(
          403, "identity " + identity + " may not read debug endpoints of namespace " + namespace);
    }
    return null;
  }
}
