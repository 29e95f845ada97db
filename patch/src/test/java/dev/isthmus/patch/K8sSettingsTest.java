package dev.isthmus.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.tpath.TreePath;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Table of {@code k8s.*} settings applied to a small gateway-like component. */
class K8sSettingsTest {

  static final String OBJECTS =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: gw}
      spec:
        replicas: 1
        strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 100%, maxUnavailable: 25%}}
        template:
          metadata: {annotations: {a: "1"}}
          spec:
            nodeSelector: {disk: ssd}
            tolerations: [{key: k1, operator: Exists}]
            securityContext: {runAsUser: 1337}
            volumes:
            - {name: certs, secret: {secretName: certs}}
            - {name: config, configMap: {name: cfg}}
            containers:
            - name: istio-proxy
              image: proxy
              env:
              - {name: A, value: a}
              - {name: B, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
              - {name: C, value: c}
              readinessProbe: {httpGet: {path: /ready, port: 15021}, periodSeconds: 2}
              resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "2"}}
              volumeMounts: [{name: certs, mountPath: /etc/certs}]
            - {name: helper, image: helper}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: gw-svc, annotations: {x: "1"}}
      spec:
        type: LoadBalancer
        ports:
        - {name: status, port: 15021, targetPort: 15021}
        - {name: http2, port: 80, targetPort: 8080, protocol: TCP}
        - {name: dns-udp, port: 53, protocol: UDP}
      ---
      apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: gw}
      spec: {minAvailable: 1, selector: {matchLabels: {app: gw}}}
      ---
      apiVersion: autoscaling/v2
      kind: HorizontalPodAutoscaler
      metadata: {name: gw}
      spec:
        minReplicas: 1
        maxReplicas: 5
        scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gw}
        metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization}}}]
      """;

  static final PatchTarget TARGET = new PatchTarget("Deployment", "gw", "istio-proxy", "gw-svc");

  /** One expected value: {@code path} on the object of {@code kind}, or absent when want null. */
  record Check(String kind, String path, String want) {}

  record Row(String name, String variant, PatchTarget target, String k8s, List<Check> checks) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Row row(String name, String k8s, Check... checks) {
    return new Row(name, "", TARGET, k8s, List.of(checks));
  }

  static Row row(String name, String variant, PatchTarget target, String k8s, Check... checks) {
    return new Row(name, variant, target, k8s, List.of(checks));
  }

  static Check deploy(String path, String want) {
    return new Check("Deployment", path, want);
  }

  static Check proxy(String field, String want) {
    return deploy("spec.template.spec.containers.[name:istio-proxy]." + field, want);
  }

  static Check error(String message) {
    return new Check(null, null, message);
  }

  static Stream<Row> rows() {
    return Stream.of(
        row(
            "affinity",
            "affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight:"
                + " 1, podAffinityTerm: {topologyKey: zone}}]}}",
            deploy(
                "spec.template.spec.affinity",
                "{podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1,"
                    + " podAffinityTerm: {topologyKey: zone}}]}}")),
        row(
            "nodeSelector merges",
            "nodeSelector: {zone: a}",
            deploy("spec.template.spec.nodeSelector", "{disk: ssd, zone: a}")),
        row(
            "tolerations replace",
            "tolerations: [{key: k2, operator: Exists, effect: NoSchedule}]",
            deploy(
                "spec.template.spec.tolerations",
                "[{key: k2, operator: Exists, effect: NoSchedule}]")),
        row(
            "priorityClassName",
            "priorityClassName: system-cluster-critical",
            deploy("spec.template.spec.priorityClassName", "system-cluster-critical")),
        row(
            "securityContext merges",
            "securityContext: {sysctls: [{name: net.ipv4.ip_local_port_range, value: 80 65535}]}",
            deploy(
                "spec.template.spec.securityContext",
                "{runAsUser: 1337, sysctls: [{name: net.ipv4.ip_local_port_range, value: 80 65535}]}")),
        row(
            "podAnnotations merge",
            "podAnnotations: {b: \"2\"}",
            deploy("spec.template.metadata.annotations", "{a: \"1\", b: \"2\"}")),
        row(
            "env merges by name in Kubernetes order; value replaces valueFrom",
            "env: [{name: B, value: b}, {name: NEW, value: n}]",
            proxy(
                "env",
                "[{name: A, value: a}, {name: B, value: b}, {name: NEW, value: n}, {name: C, value:"
                    + " c}]")),
        row(
            "env $patch: delete removes a variable (strategic merge directives apply)",
            "env: [{name: B, $patch: delete}]",
            proxy("env", "[{name: A, value: a}, {name: C, value: c}]")),
        row("imagePullPolicy", "imagePullPolicy: Always", proxy("imagePullPolicy", "Always")),
        row(
            "readinessProbe merges",
            "readinessProbe: {initialDelaySeconds: 5}",
            proxy(
                "readinessProbe",
                "{httpGet: {path: /ready, port: 15021}, periodSeconds: 2, initialDelaySeconds: 5}")),
        row(
            "readinessProbe handler replaces the other handler",
            "readinessProbe: {exec: {command: [\"true\"]}}",
            proxy("readinessProbe", "{exec: {command: [\"true\"]}, periodSeconds: 2}")),
        row(
            "resources merge",
            "resources: {requests: {cpu: 500m}}",
            proxy("resources", "{requests: {cpu: 500m, memory: 128Mi}, limits: {cpu: \"2\"}}"),
            deploy("spec.template.spec.containers.[name:helper]", "{name: helper, image: helper}")),
        row(
            "volumes merge by name",
            "volumes: [{name: config, configMap: {name: cfg2}}, {name: extra, emptyDir: {}}]",
            deploy(
                "spec.template.spec.volumes",
                "[{name: certs, secret: {secretName: certs}}, {name: config, configMap: {name:"
                    + " cfg2}}, {name: extra, emptyDir: {}}]")),
        row(
            "volume source replaces the other source",
            "volumes: [{name: certs, emptyDir: {medium: Memory}}]",
            deploy(
                "spec.template.spec.volumes.[name:certs]",
                "{name: certs, emptyDir: {medium: Memory}}")),
        row(
            "volumeMounts merge by mountPath",
            "volumeMounts: [{name: certs, mountPath: /etc/certs, readOnly: true}, {name: x,"
                + " mountPath: /x}]",
            proxy(
                "volumeMounts",
                "[{name: certs, mountPath: /etc/certs, readOnly: true}, {name: x, mountPath: /x}]")),
        row(
            "replicaCount skipped when autoscaled",
            "replicaCount: 3",
            deploy("spec.replicas", "1")),
        row(
            "replicaCount without HPA",
            "noHpa",
            TARGET,
            "replicaCount: 3",
            deploy("spec.replicas", "3")),
        row(
            "strategy merges",
            "strategy: {rollingUpdate: {maxSurge: 1}}",
            deploy(
                "spec.strategy",
                "{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}}")),
        row(
            "strategy Recreate drops rollingUpdate",
            "strategy: {type: Recreate}",
            deploy("spec.strategy", "{type: Recreate}")),
        row(
            "hpaSpec merges, metrics replace",
            "hpaSpec: {maxReplicas: 10, metrics: [{type: Resource, resource: {name: memory}}]}",
            new Check(
                "HorizontalPodAutoscaler",
                "spec",
                "{minReplicas: 1, maxReplicas: 10, scaleTargetRef: {apiVersion: apps/v1, kind:"
                    + " Deployment, name: gw}, metrics: [{type: Resource, resource: {name:"
                    + " memory}}]}")),
        row(
            "podDisruptionBudget maxUnavailable drops minAvailable",
            "podDisruptionBudget: {maxUnavailable: 1}",
            new Check(
                "PodDisruptionBudget",
                "spec",
                "{maxUnavailable: 1, selector: {matchLabels: {app: gw}}}")),
        row(
            "podDisruptionBudget with both is an error",
            "podDisruptionBudget: {maxUnavailable: 1, minAvailable: 1}",
            error("k8s.podDisruptionBudget: set either minAvailable or maxUnavailable, not both")),
        row(
            "service merges, ports by (port, protocol)",
            "service: {externalTrafficPolicy: Local, ports: [{name: http2, port: 80, targetPort:"
                + " 9090}, {name: dns-tcp, port: 53, protocol: TCP}, {name: extra, port: 8443}]}",
            new Check(
                "Service",
                "spec",
                "{type: LoadBalancer, externalTrafficPolicy: Local, ports: [{name: status, port:"
                    + " 15021, targetPort: 15021}, {name: http2, port: 80, targetPort: 9090,"
                    + " protocol: TCP}, {name: dns-tcp, port: 53, protocol: TCP}, {name: extra,"
                    + " port: 8443}, {name: dns-udp, port: 53, protocol: UDP}]}")),
        row(
            "serviceAnnotations merge",
            "serviceAnnotations: {cloud.google.com/load-balancer-type: internal}",
            new Check(
                "Service",
                "metadata.annotations",
                "{x: \"1\", cloud.google.com/load-balancer-type: internal}")),
        row(
            "service not rendered is skipped",
            "noService",
            TARGET,
            "service: {type: ClusterIP}\nserviceAnnotations: {a: b}",
            deploy("spec.replicas", "1")),
        row(
            "settings apply before overlays",
            "noHpa",
            TARGET,
            "replicaCount: 3\noverlays: [{kind: Deployment, name: gw, patches: [{path: spec.replicas,"
                + " value: 7}]}]",
            deploy("spec.replicas", "7")),
        row(
            "unknown setting",
            "replicas: 3",
            error("k8s.replicas: unknown field; expected one of [affinity, env,")),
        row("wrong type", "env: {A: b}", error("k8s.env: expected a list but found {\"A\":\"b\"}")),
        row(
            "env element without a name",
            "env: [{name: A, value: z}, {value: x}]",
            error("k8s.env[1]: missing name, the key to merge by")),
        row(
            "service port without a port",
            "service: {ports: [{name: x}]}",
            error("k8s.service.ports[0]: missing port, the key to merge by")),
        row(
            "missing main container",
            "",
            new PatchTarget("Deployment", "gw", "nope", "gw-svc"),
            "resources: {}",
            error("k8s.resources: Deployment gw has no container named nope")),
        row(
            "missing workload",
            "",
            new PatchTarget("Deployment", "other", "istio-proxy", "gw-svc"),
            "nodeSelector: {a: b}",
            error("k8s.nodeSelector: no Deployment named other was rendered")),
        row(
            "no Service for service settings",
            "",
            new PatchTarget("Deployment", "gw", "istio-proxy", null),
            "serviceAnnotations: {a: b}",
            error("k8s.serviceAnnotations: the component has no Service")),
        row(
            "replicaCount on a DaemonSet",
            "daemonSet",
            new PatchTarget("DaemonSet", "gw", "istio-proxy", null),
            "replicaCount: 2",
            error("k8s.replicaCount: applies to a Deployment, but gw is a DaemonSet")),
        row(
            "DaemonSet pod settings",
            "daemonSet",
            new PatchTarget("DaemonSet", "gw", "istio-proxy", null),
            "priorityClassName: p",
            new Check("DaemonSet", "spec.template.spec.priorityClassName", "p")));
  }

  static List<ObjectNode> objects(String variant) {
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode o : Yaml.objects(OBJECTS)) {
      String kind = o.get("kind").asText();
      if ((variant.equals("noHpa") && kind.equals("HorizontalPodAutoscaler"))
          || (variant.equals("noService") && kind.equals("Service"))) {
        continue;
      }
      if (variant.equals("daemonSet") && kind.equals("Deployment")) {
        o.put("kind", "DaemonSet");
        ((ObjectNode) o.get("spec")).remove(List.of("replicas", "strategy"));
      }
      out.add(o);
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void table(Row row) {
    List<ObjectNode> in = objects(row.variant());
    List<ObjectNode> before = in.stream().map(ObjectNode::deepCopy).toList();
    JsonNode k8s = Yaml.tree(row.k8s());
    Check first = row.checks().get(0);
    if (first.kind() == null) {
      PatchException e =
          catchThrowableOfType(
              PatchException.class, () -> Patcher.apply(in, k8s, row.target(), "k8s"));
      assertThat(e).as("expected a PatchException").isNotNull();
      assertThat(e.getMessage()).startsWith(first.want());
    } else {
      List<ObjectNode> out = Patcher.apply(in, k8s, row.target(), "k8s");
      assertThat(out).hasSameSizeAs(in);
      for (Check c : row.checks()) {
        ObjectNode obj =
            out.stream().filter(o -> o.get("kind").asText().equals(c.kind())).findFirst().get();
        assertThat(TreePath.parse(c.path()).get(obj)).as(c.path()).isEqualTo(Yaml.tree(c.want()));
      }
    }
    assertThat(in).as("inputs untouched").isEqualTo(before);
  }
}
