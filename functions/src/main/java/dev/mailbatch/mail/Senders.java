package dev.mailbatch.mail;

import dev.mailbatch.config.WorkerConfig;
import java.util.function.Supplier;
import software.amazon.awssdk.services.sesv2.SesV2Client;

/** Picks the EmailSender named by the configuration (SENDER=http|ses). */
public final class Senders {
    private Senders() {}

    public static EmailSender create(WorkerConfig config, Supplier<SesV2Client> ses) {
        return switch (config.sender()) {
            case HTTP ->
                HttpProviderSender.create(config.providerUrl(), config.providerToken(), config.providerTimeout());
            case SES -> new SesSender(ses.get());
        };
    }
}
