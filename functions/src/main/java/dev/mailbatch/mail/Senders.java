package dev.mailbatch.mail;

import dev.mailbatch.config.SecretParameter;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.config.WorkerConfig;

/** Picks the EmailSender named by the configuration (SENDER=http|ses). */
public final class Senders {
    private Senders() {}

    /** The sender, its clients (SES, and SSM for the provider token) from the wiring. */
    public static EmailSender create(WorkerConfig config, Wiring wiring) {
        return switch (config.sender()) {
            case HTTP ->
                HttpProviderSender.create(
                        config.providerUrl(),
                        SecretParameter.ssm(config.providerTokenParameter(), wiring.ssm(), wiring.clock()),
                        config.providerTimeout());
            case SES -> new SesSender(wiring.ses().get());
        };
    }
}
