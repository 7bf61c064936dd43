package dev.mailbatch.mail;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sesv2.SesV2Client;
import software.amazon.awssdk.services.sesv2.model.AccountSuspendedException;
import software.amazon.awssdk.services.sesv2.model.Body;
import software.amazon.awssdk.services.sesv2.model.Content;
import software.amazon.awssdk.services.sesv2.model.LimitExceededException;
import software.amazon.awssdk.services.sesv2.model.SendEmailResponse;
import software.amazon.awssdk.services.sesv2.model.SendingPausedException;
import software.amazon.awssdk.services.sesv2.model.SesV2Exception;
import software.amazon.awssdk.services.sesv2.model.TooManyRequestsException;

/**
 * Sends through Amazon SES v2 {@code SendEmail}. Throttling, paused sending and SES faults are
 * transient; a rejected message or address (MessageRejected, BadRequest, an unverified
 * identity) is permanent. SES has no idempotency key: see README, "Delivery guarantees".
 */
public final class SesSender implements EmailSender {
    private final SesV2Client ses;

    public SesSender(SesV2Client ses) {
        this.ses = ses;
    }

    @Override
    public SendResult send(OutgoingEmail email) {
        return send(email, null);
    }

    /** @param within the call's time, SDK retries included (null: the client's own) */
    @Override
    public SendResult send(OutgoingEmail email, java.time.Duration within) {
        if (within != null && within.toMillis() < 1) {
            return new SendResult.TransientFailure("no time left to call SES", null);
        }
        Body.Builder body = Body.builder();
        if (email.text() != null) {
            body.text(utf8(email.text()));
        }
        if (email.html() != null) {
            body.html(utf8(email.html()));
        }
        try {
            SendEmailResponse response = ses.sendEmail(r -> {
                r.fromEmailAddress(email.from())
                        .destination(d -> d.toAddresses(email.to()))
                        .content(c ->
                                c.simple(m -> m.subject(utf8(email.subject())).body(body.build())));
                if (within != null) {
                    r.overrideConfiguration(o -> o.apiCallTimeout(within));
                }
            });
            return new SendResult.Sent(response.messageId());
        } catch (TooManyRequestsException
                | LimitExceededException
                | SendingPausedException
                | AccountSuspendedException e) {
            boolean slowDown = e instanceof TooManyRequestsException || e instanceof LimitExceededException;
            return new SendResult.TransientFailure("SES: " + code(e), null, slowDown);
        } catch (SesV2Exception e) {
            if (e.isThrottlingException() || e.statusCode() >= 500) {
                return new SendResult.TransientFailure("SES: " + code(e), null, e.isThrottlingException());
            }
            return new SendResult.PermanentFailure("SES: " + code(e)); // SES's message names the identity
        } catch (SdkClientException e) {
            return new SendResult.TransientFailure("SES unreachable", null);
        } catch (SdkException e) {
            return new SendResult.TransientFailure("SES: " + e.getClass().getSimpleName(), null);
        }
    }

    private static String code(SesV2Exception e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null
                ? e.awsErrorDetails().errorCode()
                : e.getClass().getSimpleName();
    }

    private static Content utf8(String data) {
        return Content.builder().data(data).charset("UTF-8").build();
    }
}
