package dev.mailbatch.config;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * A secret kept in SSM Parameter Store (a SecureString), read when first needed and then at most
 * once per {@code ttl}, so a rotated value is picked up without a redeploy and a busy worker does
 * not call SSM per email. The environment holds only the parameter's name.
 */
public final class SecretParameter implements Supplier<Secret> {
    /** How long a value read is used before it is read again. */
    public static final Duration TTL = Duration.ofMinutes(5);

    private final String name;
    private final Function<String, String> read;
    private final Clock clock;
    private Secret value;
    private Instant readAt;

    /**
     * @param read reads a parameter's decrypted value by name (SSM GetParameter WithDecryption)
     */
    public SecretParameter(String name, Function<String, String> read, Clock clock) {
        this.name = name;
        this.read = read;
        this.clock = clock;
    }

    /** The parameter through an SSM client. */
    public static Supplier<Secret> ssm(String name, Supplier<SsmClient> ssm, Clock clock) {
        if (name == null || name.isEmpty()) {
            return () -> new Secret("");
        }
        return new SecretParameter(
                name,
                n -> ssm.get()
                        .getParameter(r -> r.name(n).withDecryption(true))
                        .parameter()
                        .value(),
                clock);
    }

    @Override
    public synchronized Secret get() {
        Instant now = clock.instant();
        if (value == null || !now.isBefore(readAt.plus(TTL))) {
            value = new Secret(read.apply(name));
            readAt = now;
        }
        return value;
    }

    @Override
    public String toString() {
        return "SecretParameter[" + name + "]";
    }
}
