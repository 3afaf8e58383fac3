package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Label selectors evaluated as the API server does. */
final class Selectors {
    private Selectors() {
    }

    /** A Service's selector: every label equal; an empty one selects nothing a Service could route to. */
    static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty()
                && selector.entrySet().stream().allMatch(entry -> entry.getValue().equals(labels.get(entry.getKey())));
    }

    /** A LabelSelector: matchLabels and matchExpressions all hold; an empty one matches everything. */
    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        boolean labelsMatch = Objects.requireNonNullElse(selector.getMatchLabels(), Map.<String, String>of()).entrySet().stream()
                .allMatch(entry -> entry.getValue().equals(labels.get(entry.getKey())));
        return labelsMatch && Objects.requireNonNullElse(selector.getMatchExpressions(), List.<LabelSelectorRequirement>of())
                .stream().allMatch(requirement -> matches(requirement, labels));
    }

    static boolean isEmpty(LabelSelector selector) {
        return selector == null
                || (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
                && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty());
    }

    private static boolean matches(LabelSelectorRequirement requirement, Map<String, String> labels) {
        String value = labels.get(requirement.getKey());
        List<String> values = Objects.requireNonNullElse(requirement.getValues(), List.of());
        return switch (requirement.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            default -> throw new IllegalArgumentException("Unknown selector operator " + requirement.getOperator());
        };
    }
}
