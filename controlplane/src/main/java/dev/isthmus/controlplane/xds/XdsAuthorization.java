package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.SecureServing;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code XdsAuthorization} authenticates and authorizes xDS clients on the TLS port, as istiod does
 * with {@code XDS_AUTH} on: a stream is accepted only with a credential the CA accepts (a client
 * certificate it issued, or a service-account token for the {@code istio-ca} audience, reviewed by
 * the API server), and a proxy may only connect as a workload of the namespace its identity belongs
 * to ({@code spiffe://<td>/ns/<ns>/sa/<sa>} must name the proxy's namespace). The plaintext port
 * stays unauthenticated, as Istio's 15010.
 */
public final class XdsAuthorization implements ServerInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(XdsAuthorization.class);
  static final Context.Key<String> IDENTITY = Context.key("isthmus-xds-identity");
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final SecureServing.XdsAuthenticator authenticator;

  public XdsAuthorization(SecureServing.XdsAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String identity;
    try {
      identity = authenticator.authenticate(headers.get(AUTHORIZATION), peerChain(call));
    } catch (StatusException e) {
      Status s = e.getStatus();
      LOG.warn("xDS stream refused: {}", s.getDescription());
      call.close(
          Status.fromCode(s.getCode())
              .withDescription("authentication failure: " + s.getDescription()),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(IDENTITY, identity), call, headers, next);
  }

  /**
   * Checks that the authenticated caller of this stream (if the port authenticates) may act as
   * {@code proxy}.
   *
   * @return the caller's verified identity, or null on a port that does not authenticate
   * @throws StatusException {@code PERMISSION_DENIED} naming the identity and the proxy's namespace
   */
  static String authorize(ProxyNode proxy) throws StatusException {
    String identity = IDENTITY.get();
    if (identity == null) {
      return null; // plaintext port, or authentication turned off
    }
    String ns = namespaceOf(identity);
    if (!proxy.namespace().equals(ns)) {
      throw Status.PERMISSION_DENIED
          .withDescription(
              "authorization failed: identity "
                  + identity
                  + " may not connect as proxy "
                  + proxy.id()
                  + " of namespace "
                  + proxy.namespace())
          .asException();
    }
    return identity;
  }

  /**
   * The namespace of {@code spiffe://<td>/ns/<ns>/sa/<sa>}, or empty when the identity is not
   * exactly of that form.
   */
  public static String namespaceOf(String spiffeId) {
    String[] parts = spiffeId.split("/", -1);
    boolean workload =
        parts.length == 7
            && parts[0].equals("spiffe:")
            && parts[1].isEmpty()
            && !parts[2].isEmpty()
            && parts[3].equals("ns")
            && !parts[4].isEmpty()
            && parts[5].equals("sa")
            && !parts[6].isEmpty();
    return workload ? parts[4] : "";
  }

  private static List<X509Certificate> peerChain(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return List.of();
    }
    try {
      return Arrays.stream(session.getPeerCertificates())
          .filter(X509Certificate.class::isInstance)
          .map(X509Certificate.class::cast)
          .toList();
    } catch (SSLPeerUnverifiedException e) {
      return List.of(); // no client certificate: token only
    }
  }
}
