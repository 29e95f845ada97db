/**
 * Go's {@code text/template} language on Java values, with the Sprig functions Istio's injection
 * templates use.
 *
 * <p>{@link dev.isthmus.gotmpl.Template} parses a template (actions, pipelines, variables, {@code
 * if}/{@code range}/{@code with} with {@code else}, {@code define}/{@code template}, whitespace
 * trimming) and executes it against maps, lists, scalars and {@link dev.isthmus.gotmpl.GoStruct}
 * values with Go's truthiness and printing rules; functions are Go's built-ins, Sprig's ({@code
 * Sprig}) and any a caller adds ({@link dev.isthmus.gotmpl.Function}). Errors are {@link
 * dev.isthmus.gotmpl.TemplateException}s in Go's form, {@code template: <name>:<line>: <message>}.
 */
package dev.isthmus.gotmpl;
