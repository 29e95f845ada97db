package dev.isthmus.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table of strategic merges: the cases the injector's and the k8s settings' former implementations
 * were written for, the directives, and where they disagreed (container ports). Expected results
 * are what {@code strategicpatch.StrategicMergeMapPatch} with corev1.Pod's patch metadata gives,
 * unless the row says otherwise.
 */
class StrategicMergeTest {

  record Row(String name, StrategicMerge merge, String target, String patch, String want) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Row pod(String name, String target, String patch, String want) {
    return new Row(name, StrategicMerge.POD, target, patch, want);
  }

  static Stream<Row> rows() {
    return Stream.of(
        pod(
            "maps merge recursively",
            "{metadata: {labels: {a: '1'}, name: p}}",
            "{metadata: {labels: {b: '2'}}}",
            "{metadata: {labels: {a: '1', b: '2'}, name: p}}"),
        pod("null deletes", "{a: 1, b: 2}", "{b: null, c: null}", "{a: 1}"),
        pod(
            "a new value loses its nulls",
            "{spec: {}}",
            "{spec: {securityContext: {runAsUser: null, runAsGroup: 1}, containers: [{name: c,"
                + " image: null}]}}",
            "{spec: {securityContext: {runAsGroup: 1}, containers: [{name: c}]}}"),
        pod(
            "a map replaces a scalar and a list replaces a map",
            "{a: x, b: {c: 1}}",
            "{a: {c: 1}, b: [1]}",
            "{a: {c: 1}, b: [1]}"),
        pod(
            "containers merge by name; a new one comes before those the patch does not name",
            "{spec: {containers: [{name: app, image: a, args: [x]}]}}",
            "{spec: {containers: [{name: istio-proxy, image: p}, {name: app, args: [z]}]}}",
            "{spec: {containers: [{name: istio-proxy, image: p}, {name: app, image: a, args:"
                + " [z]}]}}"),
        pod(
            "a template's volumes come before the pod's own (Istio's proxy-override output)",
            "{spec: {volumes: [{name: certs, secret: {secretName: c}}]}}",
            "{spec: {volumes: [{name: workload-socket}, {name: istio-envoy, emptyDir: {}}]}}",
            "{spec: {volumes: [{name: workload-socket}, {name: istio-envoy, emptyDir: {}},"
                + " {name: certs, secret: {secretName: c}}]}}"),
        pod(
            "env merges by name in Kubernetes order (unnamed keep their place before later named)",
            "{env: [{name: A, value: a}, {name: B, value: b}, {name: C, value: c}]}",
            "{env: [{name: B, value: b2}, {name: NEW, value: nv}]}",
            "{env: [{name: A, value: a}, {name: B, value: b2}, {name: NEW, value: nv}, {name: C,"
                + " value: c}]}"),
        pod(
            "init and ephemeral containers merge by name",
            "{initContainers: [{name: i, image: a}], ephemeralContainers: [{name: e, image: a}]}",
            "{initContainers: [{name: i, image: b}], ephemeralContainers: [{name: e, tty: true}]}",
            "{initContainers: [{name: i, image: b}], ephemeralContainers: [{name: e, image: a,"
                + " tty: true}]}"),
        pod(
            "volumeMounts merge by mountPath, not name",
            "{volumeMounts: [{name: certs, mountPath: /etc/certs}]}",
            "{volumeMounts: [{name: certs, mountPath: /etc/certs, readOnly: true}, {name: certs,"
                + " mountPath: /other}]}",
            "{volumeMounts: [{name: certs, mountPath: /etc/certs, readOnly: true}, {name: certs,"
                + " mountPath: /other}]}"),
        pod(
            "imagePullSecrets by name, hostAliases by ip, ownerReferences by uid",
            "{metadata: {ownerReferences: [{uid: u1, name: rs}]}, spec: {imagePullSecrets: [{name:"
                + " a}], hostAliases: [{ip: 10.0.0.1, hostnames: [h1]}]}}",
            "{metadata: {ownerReferences: [{uid: u1, controller: true}]}, spec: {imagePullSecrets:"
                + " [{name: b}], hostAliases: [{ip: 10.0.0.1, hostnames: [h2]}]}}",
            "{metadata: {ownerReferences: [{uid: u1, name: rs, controller: true}]}, spec:"
                + " {imagePullSecrets: [{name: b}, {name: a}], hostAliases: [{ip: 10.0.0.1,"
                + " hostnames: [h2]}]}}"),
        pod(
            "container ports merge by containerPort (Kubernetes' patchMergeKey, as Istio's"
                + " injector); the patch's protocol wins",
            "{ports: [{name: dns-tcp, containerPort: 53, protocol: TCP}, {containerPort: 80}]}",
            "{ports: [{name: dns, containerPort: 53, protocol: UDP}, {containerPort: 80, name:"
                + " http}]}",
            "{ports: [{name: dns, containerPort: 53, protocol: UDP}, {containerPort: 80, name:"
                + " http}]}"),
        pod(
            "merge keys compare numbers by value",
            "{ports: [{containerPort: 80, name: a}]}",
            "{ports: [{containerPort: 80.0, protocol: TCP}]}",
            "{ports: [{containerPort: 80.0, name: a, protocol: TCP}]}"),
        new Row(
            "Service ports merge by (port, protocol), a missing protocol being TCP",
            StrategicMerge.SERVICE,
            "{ports: [{name: dns-tcp, port: 53, protocol: TCP}, {name: http, port: 80}]}",
            "{ports: [{name: dns, port: 53, protocol: UDP}, {port: 80, protocol: TCP, targetPort:"
                + " 8080}]}",
            "{ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol:"
                + " TCP}, {name: http, port: 80, protocol: TCP, targetPort: 8080}]}"),
        pod(
            "tolerations, readinessGates and args are replaced",
            "{tolerations: [{key: a}], readinessGates: [{conditionType: ready1}], containers: [{name: c,"
                + " args: [a, b]}]}",
            "{tolerations: [{key: b}], readinessGates: [{conditionType: ready2}], containers: [{name: c,"
                + " args: [c]}]}",
            "{tolerations: [{key: b}], readinessGates: [{conditionType: ready2}], containers: [{name: c,"
                + " args: [c]}]}"),
        pod(
            "an empty patch list leaves a merged list alone and empties a replaced one",
            "{containers: [{name: a}], tolerations: [{key: t}]}",
            "{containers: [], tolerations: []}",
            "{containers: [{name: a}], tolerations: []}"),
        pod(
            "finalizers merge as a set",
            "{finalizers: [a, b, a]}",
            "{finalizers: [b, c]}",
            "{finalizers: [a, b, c]}"),
        pod(
            "$patch: replace replaces a map (Istio's TestStrategicMerge)",
            "{metadata: {labels: {key: value}}}",
            "{metadata: {labels: {$patch: replace, foo: bar}}}",
            "{metadata: {labels: {foo: bar}}}"),
        pod(
            "$patch: delete empties a map",
            "{spec: {securityContext: {runAsUser: 1}, hostname: h}}",
            "{spec: {securityContext: {$patch: delete}}}",
            "{spec: {securityContext: {}, hostname: h}}"),
        pod(
            "$patch: delete removes list elements by key",
            "{containers: [{name: a}, {name: b}, {name: c}]}",
            "{containers: [{name: b, $patch: delete}, {name: c, image: x}]}",
            "{containers: [{name: a}, {name: c, image: x}]}"),
        pod(
            "$patch: replace as a list element replaces the list",
            "{containers: [{name: a, image: x}, {name: b}]}",
            "{containers: [{name: c}, {$patch: replace}, {name: a}]}",
            "{containers: [{name: c}, {name: a}]}"),
        pod(
            "$retainKeys drops the target's other fields",
            "{volumes: [{name: v, secret: {secretName: s}}]}",
            "{volumes: [{name: v, emptyDir: {}, $retainKeys: [name, emptyDir]}]}",
            "{volumes: [{name: v, emptyDir: {}}]}"),
        pod(
            "$setElementOrder orders a merged list",
            "{containers: [{name: a}, {name: b}, {name: c}]}",
            "{$setElementOrder/containers: [{name: c}, {name: a}, {name: b}], containers:"
                + " [{name: a, image: x}]}",
            "{containers: [{name: c}, {name: a, image: x}, {name: b}]}"),
        pod(
            "$deleteFromPrimitiveList removes values",
            "{finalizers: [a, b, c]}",
            "{$deleteFromPrimitiveList/finalizers: [b]}",
            "{finalizers: [a, c]}"),
        pod(
            "a new value loses its directives; a new map with $patch: replace is kept (Kubernetes"
                + " drops it)",
            "{metadata: {}}",
            "{metadata: {labels: {$patch: replace, a: b}, annotations: {$patch: delete}},"
                + " volumes: [{name: v, emptyDir: {}, $retainKeys: [name, emptyDir]}, {name: w,"
                + " $patch: delete}]}",
            "{metadata: {labels: {a: b}}, volumes: [{name: v, emptyDir: {}}]}"),
        pod(
            "without keepingUnionsValid two probe handlers are kept, as in Kubernetes",
            "{readinessProbe: {httpGet: {port: 80}, periodSeconds: 2}}",
            "{readinessProbe: {exec: {command: [x]}}}",
            "{readinessProbe: {httpGet: {port: 80}, periodSeconds: 2, exec: {command: [x]}}}"),
        new Row(
            "keepingUnionsValid: the patch's probe handler, env source and volume source win",
            StrategicMerge.POD.keepingUnionsValid(),
            "{readinessProbe: {httpGet: {port: 80}, periodSeconds: 2}, env: [{name: A, valueFrom:"
                + " {fieldRef: {fieldPath: x}}}], volumes: [{name: v, secret: {secretName: s}}]}",
            "{readinessProbe: {exec: {command: [x]}}, env: [{name: A, value: a}], volumes:"
                + " [{name: v, emptyDir: {}}]}",
            "{readinessProbe: {periodSeconds: 2, exec: {command: [x]}}, env: [{name: A, value:"
                + " a}], volumes: [{name: v, emptyDir: {}}]}"),
        new Row(
            "keepingUnionsValid: strategy Recreate drops rollingUpdate",
            StrategicMerge.ATOMIC_LISTS.keepingUnionsValid(),
            "{strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}}",
            "{strategy: {type: Recreate}}",
            "{strategy: {type: Recreate}}"),
        new Row(
            "without merge keys every list is replaced",
            StrategicMerge.ATOMIC_LISTS,
            "{containers: [{name: a}], metrics: [{type: Resource}]}",
            "{containers: [{name: b}], metrics: []}",
            "{containers: [{name: b}], metrics: []}"),
        pod(
            "error: a list element without its merge key",
            "{spec: {containers: [{name: a}]}}",
            "{spec: {containers: [{name: b}, {image: x}]}}",
            "error: p.spec.containers[1]: missing name, the key to merge by"),
        pod(
            "error: a list element that is not a map",
            "{volumeMounts: [{mountPath: /a}]}",
            "{volumeMounts: [/b]}",
            "error: p.volumeMounts[0]: expected a map with mountPath"),
        pod(
            "error: an unknown $patch directive",
            "{metadata: {labels: {}}}",
            "{metadata: {labels: {$patch: merge}}}",
            "error: p.metadata.labels.$patch: expected replace or delete but found \"merge\""),
        pod(
            "error: a field not listed in $retainKeys",
            "{volumes: [{name: v}]}",
            "{volumes: [{name: v, emptyDir: {}, $retainKeys: [name]}]}",
            "error: p.volumes[0].emptyDir: set but not listed in $retainKeys"),
        pod(
            "error: $setElementOrder that contradicts the patch",
            "{containers: [{name: a}, {name: b}]}",
            "{$setElementOrder/containers: [{name: b}, {name: a}], containers: [{name: a},"
                + " {name: b}]}",
            "error: p.$setElementOrder/containers: does not list {\"name\":\"b\"} of containers"
                + " in patch order"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void table(Row row) {
    ObjectNode target = Yaml.obj(row.target());
    ObjectNode patch = Yaml.obj(row.patch());
    ObjectNode patchBefore = patch.deepCopy();
    if (row.want().startsWith("error: ")) {
      assertThatThrownBy(() -> row.merge().merge(target, patch, "p"))
          .isInstanceOf(PatchException.class)
          .hasMessage(row.want().substring("error: ".length()));
    } else {
      row.merge().merge(target, patch, "p");
      assertThat(target).isEqualTo(Yaml.obj(row.want()));
    }
    assertThat(patch).as("patch untouched").isEqualTo(patchBefore);
  }
}
