/**
 * {@code translate} turns an {@code IstioOperator} into the Kubernetes objects that install Istio
 * with the Isthmus control plane. It is pure: no Kubernetes client, no I/O (except the CLI class
 * reading its input files), and the same input always gives the same bytes.
 *
 * <h2>Pipeline</h2>
 *
 * <ol>
 *   <li><b>Merge</b> ({@link dev.isthmus.translate.Translator}): the {@code default} profile, then
 *       the named profile ({@link dev.isthmus.translate.Profiles}), then each input file, then each
 *       {@code --set} ({@link dev.isthmus.translate.SetFlags}). Maps merge deeply, lists are
 *       replaced, an explicit null leaves the value below it alone.
 *   <li><b>Validate</b> ({@link dev.isthmus.translate.validate.Validator}): strict fields and types
 *       against the API classes and fabric8 models, names, image references, ports, IP ranges, and
 *       {@code spec.values} against {@code values-schema.yaml}. Every error is collected and names
 *       its field path; {@link dev.isthmus.translate.ValidationException} carries them all.
 *   <li><b>Translate</b> ({@link dev.isthmus.translate.ValuesTranslator}): a small explicit table
 *       from spec fields to the values tree, layered over {@code values-defaults.yaml} and under
 *       the user's {@code spec.values}.
 *   <li><b>Render</b> ({@link dev.isthmus.translate.render.ComponentRenderer}): one renderer per
 *       component builds typed fabric8 objects, the operator labels are stamped, the component's
 *       {@code k8s} block is applied by the patch module, server defaults are written out, and the
 *       objects are sorted by kind.
 * </ol>
 *
 * <p>Components come out in apply order: Base, Pilot, IstiodRemote, Cni, Ztunnel, ingress gateways,
 * egress gateways. {@link dev.isthmus.translate.cli.ManifestCli} implements {@code manifest
 * generate} and {@code profile list|dump} on top of this.
 */
package dev.isthmus.translate;
