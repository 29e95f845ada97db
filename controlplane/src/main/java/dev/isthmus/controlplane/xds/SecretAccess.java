package dev.isthmus.controlplane.xds;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SecretAccess} decides whether a verified proxy may receive the credentials of its
 * namespace over SDS, as istiod does: its service account must itself be allowed to list Secrets
 * there (a SubjectAccessReview; the gateway charts grant it with the {@code *-sds} Role). Answers
 * are kept for a minute; an API error denies.
 */
public final class SecretAccess {
  private static final Logger LOG = LoggerFactory.getLogger(SecretAccess.class);

  private final KubernetesClient client;
  private final Cache<String, Boolean> answers =
      CacheBuilder.newBuilder().expireAfterWrite(Duration.ofMinutes(1)).maximumSize(10_000).build();

  public SecretAccess(KubernetesClient client) {
    this.client = client;
  }

  /**
   * Whether the workload with SPIFFE identity {@code identity} may list Secrets in its namespace.
   */
  public boolean mayRead(String identity) {
    Boolean cached = answers.getIfPresent(identity);
    if (cached != null) {
      return cached;
    }
    String ns = XdsAuthorization.namespaceOf(identity);
    int sa = identity.indexOf("/sa/");
    boolean allowed = false;
    if (!ns.isEmpty() && sa > 0) {
      String user = "system:serviceaccount:" + ns + ":" + identity.substring(sa + 4);
      SubjectAccessReview review =
          new SubjectAccessReviewBuilder()
              .withNewSpec()
              .withUser(user)
              .withNewResourceAttributes()
              .withNamespace(ns)
              .withVerb("list")
              .withResource("secrets")
              .endResourceAttributes()
              .endSpec()
              .build();
      try {
        var status = client.authorization().v1().subjectAccessReview().create(review).getStatus();
        allowed = status != null && Boolean.TRUE.equals(status.getAllowed());
      } catch (KubernetesClientException e) {
        LOG.warn("cannot review secret access of {}: {}", identity, e.getMessage());
        return false; // not cached: asked again on the next push
      }
      if (!allowed) {
        LOG.warn(
            "{} may not list Secrets in {}: no credentials are served to it over SDS", user, ns);
      }
    }
    answers.put(identity, allowed);
    return allowed;
  }
}
