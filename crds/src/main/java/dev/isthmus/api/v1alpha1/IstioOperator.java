package dev.isthmus.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code IstioOperator} is the {@code install.istio.io/v1alpha1} resource Istio users already
 * write: the same YAML that {@code istioctl install -f} reads is what Isthmus installs and keeps
 * running.
 */
@Group(IstioOperator.GROUP)
@Version(IstioOperator.VERSION)
@Kind("IstioOperator")
@Plural("istiooperators")
@Singular("istiooperator")
@ShortNames({"iop", "io"})
@AdditionalPrinterColumn(
    name = "Revision",
    jsonPath = ".spec.revision",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Status",
    jsonPath = ".status.status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class IstioOperator extends CustomResource<IstioOperatorSpec, IstioOperatorStatus>
    implements Namespaced {
  public static final String GROUP = "install.istio.io";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;
}
