package dev.isthmus.controlplane.gateway.kube;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test stand-ins for the two cluster components the test API server lacks: a kubelet, which here
 * only reports each Pod Running and Ready with a pod IP on loopback (no container runs), and a
 * load-balancer controller, which gives each Service of type LoadBalancer a loopback ingress
 * address. Nothing listens on those addresses.
 */
final class ClusterStandIns implements AutoCloseable {
  private final KubernetesClient client;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final AtomicInteger podIps = new AtomicInteger();
  private final AtomicInteger lbIps = new AtomicInteger();

  private ClusterStandIns(KubernetesClient client) {
    this.client = client;
  }

  static ClusterStandIns start(KubernetesClient client) {
    ClusterStandIns s = new ClusterStandIns(client);
    s.informers.add(client.pods().inAnyNamespace().inform(s.handler(s::kubelet), 30_000));
    s.informers.add(client.services().inAnyNamespace().inform(s.handler(s::loadBalancer), 30_000));
    return s;
  }

  private <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> act) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        act.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        act.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }

  static boolean ready(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }

  private static String ip(int block, int n) {
    return "127." + block + "." + (n / 250) + "." + (n % 250 + 1);
  }

  /** As a kubelet whose containers all start at once: Running, Ready, with a pod IP. */
  private void kubelet(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null || ready(pod)) {
      return;
    }
    String ip = ip(1, podIps.getAndIncrement());
    String now = Instant.now().toString();
    try {
      client
          .pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .editStatus(
              p -> {
                List<PodCondition> conditions = new ArrayList<>();
                for (String type :
                    List.of("PodScheduled", "Initialized", "ContainersReady", "Ready")) {
                  conditions.add(
                      new PodConditionBuilder()
                          .withType(type)
                          .withStatus("True")
                          .withLastTransitionTime(now)
                          .build());
                }
                p.getStatus().setPhase("Running");
                p.getStatus().setConditions(conditions);
                p.getStatus().setHostIP("127.0.0.1");
                p.getStatus().setPodIP(ip);
                p.getStatus().setPodIPs(List.of(new PodIPBuilder().withIp(ip).build()));
                p.getStatus().setStartTime(now);
                p.getStatus()
                    .setContainerStatuses(
                        p.getSpec().getContainers().stream()
                            .map(
                                c ->
                                    new ContainerStatusBuilder()
                                        .withName(c.getName())
                                        .withImage(c.getImage())
                                        .withImageID(c.getImage())
                                        .withReady(true)
                                        .withStarted(true)
                                        .withRestartCount(0)
                                        .withNewState()
                                        .withNewRunning()
                                        .withStartedAt(now)
                                        .endRunning()
                                        .endState()
                                        .build())
                            .toList());
                return p;
              });
    } catch (KubernetesClientException e) {
      // gone or changed meanwhile: the informer brings the next version
    }
  }

  /** As a cloud load-balancer controller: an ingress address for each LoadBalancer Service. */
  private void loadBalancer(Service svc) {
    if (!"LoadBalancer".equals(svc.getSpec().getType())
        || svc.getMetadata().getDeletionTimestamp() != null
        || (svc.getStatus() != null
            && svc.getStatus().getLoadBalancer() != null
            && svc.getStatus().getLoadBalancer().getIngress() != null
            && !svc.getStatus().getLoadBalancer().getIngress().isEmpty())) {
      return;
    }
    String ip = ip(2, lbIps.getAndIncrement());
    try {
      client
          .services()
          .inNamespace(svc.getMetadata().getNamespace())
          .withName(svc.getMetadata().getName())
          .editStatus(
              s -> {
                s.setStatus(
                    new ServiceStatusBuilder()
                        .withNewLoadBalancer()
                        .addNewIngress()
                        .withIp(ip)
                        .endIngress()
                        .endLoadBalancer()
                        .build());
                return s;
              });
    } catch (KubernetesClientException e) {
      // gone or changed meanwhile: the informer brings the next version
    }
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
