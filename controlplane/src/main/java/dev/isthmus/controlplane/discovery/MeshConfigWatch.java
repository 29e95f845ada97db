package dev.isthmus.controlplane.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.isthmus.controlplane.authz.ExtensionProvider;
import dev.isthmus.controlplane.model.SecuritySettings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code MeshConfigWatch} follows the mesh config ConfigMap of the revision ({@code istio} or
 * {@code istio-<rev>}, key {@code mesh}) for what policy translation reads from it: {@code
 * trustDomain}, {@code trustDomainAliases} and the ext_authz {@code extensionProviders}. A mesh
 * config that cannot be parsed keeps the previous settings in force.
 */
public final class MeshConfigWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MeshConfigWatch.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String defaultTrustDomain;
  private final Runnable onChange;
  private volatile SecuritySettings settings;
  private SharedIndexInformer<ConfigMap> informer;

  /**
   * @param defaultTrustDomain the trust domain when the mesh config names none
   * @param onChange called after the settings changed
   */
  public MeshConfigWatch(String defaultTrustDomain, Runnable onChange) {
    this.defaultTrustDomain = defaultTrustDomain;
    this.onChange = onChange;
    this.settings = parse(null, defaultTrustDomain);
  }

  /** Starts following {@code namespace/name}. */
  public void start(KubernetesClient client, String namespace, String name) {
    try {
      informer =
          client
              .configMaps()
              .inNamespace(namespace)
              .withName(name)
              .inform(
                  new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(ConfigMap cm) {
                      update(cm);
                    }

                    @Override
                    public void onUpdate(ConfigMap before, ConfigMap cm) {
                      update(cm);
                    }

                    @Override
                    public void onDelete(ConfigMap cm, boolean unknown) {
                      update(null);
                    }
                  },
                  0);
    } catch (RuntimeException e) {
      LOG.warn("cannot watch ConfigMap {}/{}: {}", namespace, name, e.getMessage());
    }
  }

  private void update(ConfigMap cm) {
    String mesh = cm == null || cm.getData() == null ? null : cm.getData().get("mesh");
    SecuritySettings next;
    try {
      next = parse(mesh, defaultTrustDomain).withKeySets(settings.keySets());
    } catch (RuntimeException e) {
      LOG.warn("mesh config not applied, the previous one stays in force: {}", e.getMessage());
      return;
    }
    if (!Objects.equals(next, settings)) {
      settings = next;
      onChange.run();
    }
  }

  /** The settings from the last good mesh config. */
  public SecuritySettings settings() {
    return settings;
  }

  /**
   * The settings of a mesh config document (YAML), or of none.
   *
   * @throws IllegalArgumentException naming the field when the document is malformed
   */
  public static SecuritySettings parse(String meshYaml, String defaultTrustDomain) {
    JsonNode mesh = MissingNode.getInstance();
    if (meshYaml != null && !meshYaml.isBlank()) {
      try {
        Object o = Serialization.unmarshal(meshYaml, Object.class);
        mesh = o == null ? MissingNode.getInstance() : JSON.valueToTree(o);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("mesh: cannot parse: " + e.getMessage(), e);
      }
    }
    String td = mesh.path("trustDomain").asText("");
    List<String> aliases = new ArrayList<>();
    mesh.path("trustDomainAliases").forEach(a -> aliases.add(a.asText()));
    List<ExtensionProvider> providers =
        mesh.isObject() ? ExtensionProvider.fromMeshConfig(mesh) : List.of();
    return new SecuritySettings(
        td.isEmpty() ? defaultTrustDomain : td, aliases, providers, Map.of());
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.close();
    }
  }
}
