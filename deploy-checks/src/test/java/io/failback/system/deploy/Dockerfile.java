package io.failback.system.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Dockerfile as its instructions: keyword and arguments, continuation lines joined, comments dropped. */
record Dockerfile(Path file, List<Instruction> instructions) {

    record Instruction(String keyword, String arguments) {
    }

    static Dockerfile read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            String trimmed = line.trim();
            if (trimmed.startsWith("#") || trimmed.isEmpty() && current.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String instruction = current.toString().trim();
            current.setLength(0);
            int space = instruction.indexOf(' ');
            instructions.add(new Instruction(instruction.substring(0, space).toUpperCase(Locale.ROOT), instruction.substring(space + 1).trim()));
        }
        return new Dockerfile(file, List.copyOf(instructions));
    }

    List<String> all(String keyword) {
        return instructions.stream().filter(instruction -> instruction.keyword().equals(keyword)).map(Instruction::arguments).toList();
    }

    /** The argument of the last such instruction, which is the one that counts; null when there is none. */
    String last(String keyword) {
        List<String> all = all(keyword);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** The uid of USER {@code uid[:gid]}, or null when it is a name or missing. */
    Long uid() {
        String user = last("USER");
        if (user == null || !user.split(":")[0].matches("\\d+")) {
            return null;
        }
        return Long.parseLong(user.split(":")[0]);
    }
}
