package dev.isthmus.controlplane.ca;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.List;

/**
 * {@code WriteLog} is a watcher that records every write the API server reports on the watched
 * objects as {@code "<ADDED|MODIFIED|DELETED> <resourceVersion>"}: the tests that run two replicas
 * count writes with it.
 */
public final class WriteLog {
  private WriteLog() {}

  public static <T extends HasMetadata> Watcher<T> into(List<String> writes) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, T object) {
        writes.add(action + " " + object.getMetadata().getResourceVersion());
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }
}
