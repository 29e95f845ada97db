package dev.isthmus.patch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;

/**
 * {@code Unions} keeps one-of fields valid during a {@link StrategicMerge#keepingUnionsValid()}
 * merge: where the patch sets one member, the target's other members go, where Kubernetes' merge
 * would keep both and the API server would then refuse the object. The unions: a probe's handler
 * ({@code exec}, {@code httpGet}, {@code tcpSocket}, {@code grpc}), an env var's {@code value} or
 * {@code valueFrom}, a volume's source, and a Deployment {@code strategy} of type {@code Recreate}
 * (drops {@code rollingUpdate}). For volumes and strategy this is what the {@code $retainKeys} of
 * {@code kubectl apply} achieves.
 */
final class Unions {

  private static final Set<String> PROBES =
      Set.of("readinessProbe", "livenessProbe", "startupProbe");
  private static final List<String> HANDLERS = List.of("exec", "httpGet", "tcpSocket", "grpc");
  private static final List<String> ENV_SOURCES = List.of("value", "valueFrom");
  private static final List<String> VOLUME_SOURCES =
      List.of(
          "emptyDir",
          "secret",
          "configMap",
          "projected",
          "downwardAPI",
          "hostPath",
          "persistentVolumeClaim",
          "csi",
          "ephemeral",
          "nfs");

  private Unions() {}

  /**
   * Before {@code patch} merges into {@code target}, drops the target's union members the patch
   * replaces.
   *
   * @param field the map's field name, {@code name[]} for an element of the list {@code name}
   */
  static void keepValid(ObjectNode target, ObjectNode patch, String field) {
    if (PROBES.contains(field)) {
      dropOthersOf(target, patch, HANDLERS);
    } else if (field.equals("env[]")) {
      dropOthersOf(target, patch, ENV_SOURCES);
    } else if (field.equals("volumes[]")) {
      dropOthersOf(target, patch, VOLUME_SOURCES);
    } else if (field.equals("strategy") && "Recreate".equals(patch.path("type").asText())) {
      target.remove("rollingUpdate");
    }
  }

  /** When the patch sets one member of a union, removes the target's other members. */
  private static void dropOthersOf(ObjectNode target, ObjectNode patch, List<String> union) {
    for (String member : union) {
      if (patch.hasNonNull(member)) {
        union.stream().filter(o -> !o.equals(member)).forEach(target::remove);
        return;
      }
    }
  }
}
