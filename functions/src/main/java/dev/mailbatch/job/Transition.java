package dev.mailbatch.job;

/**
 * What a recipient's record becomes, given what it is now. The repository applies it with a
 * condition that the record is still what it read, and asks again (with the record as it has
 * become) when another delivery got there first, so every transition is computed from the
 * record it replaces and every counter moves exactly once.
 */
@FunctionalInterface
public interface Transition {
    /**
     * @param current the record now, or null if the recipient has none yet
     * @return the record to write, or null to leave it as it is
     */
    Outcome apply(Recipient current);
}
