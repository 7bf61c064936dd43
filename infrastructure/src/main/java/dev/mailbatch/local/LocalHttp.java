package dev.mailbatch.local;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;

/**
 * The local runner's HTTP transport (Netty). The JDK's own HTTP server answers a request whose
 * target is not a valid URI ({@code ?cursor=%%%}, {@code /emails/%zz}) with an HTML page before
 * any handler runs; API Gateway passes such a request to the API. Here the target is made a valid
 * URI first: each byte a URI may not hold as it stands (a {@code %} without two hex digits, a
 * space, {@code |}, anything not ASCII) is percent-encoded, so the API sees the same characters
 * once it decodes, and answers with its own error. A request that is not HTTP at all gets a JSON
 * 400, never a page. Each request runs on a virtual thread as an {@link HttpExchange}; a
 * connection's next request is read only once the previous one is answered.
 */
public final class LocalHttp implements AutoCloseable {
    /** Serves one exchange: answers it (or closes it unanswered) before returning. */
    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private static final byte[] BAD_REQUEST = "{\"message\":\"Bad Request\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TOO_LARGE =
            "{\"message\":\"Request Entity Too Large\"}".getBytes(StandardCharsets.UTF_8);

    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final Channel channel;

    /**
     * Binds {@code address} now.
     *
     * @param maxBody bodies above this get a 413 from the transport (the API's own limit is below it)
     */
    LocalHttp(InetSocketAddress address, int maxBody, ExecutorService executor, Handler handler)
            throws java.net.BindException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                // lines and headers up to 64 KiB: a long query reaches the API, which names
                                // what it refuses (the JDK server's 8 KiB, Netty's default 4 KiB, are less)
                                .addLast(new HttpServerCodec(64 * 1024, 64 * 1024, 8 * 1024))
                                .addLast(new HttpObjectAggregator(maxBody) {
                                    @Override
                                    protected void handleOversizedMessage(
                                            ChannelHandlerContext ctx, HttpMessage message) {
                                        ctx.writeAndFlush(json(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, TOO_LARGE))
                                                .addListener(ChannelFutureListener.CLOSE);
                                    }
                                })
                                .addLast(new Requests(executor, handler));
                    }
                });
        Channel bound = null;
        try {
            bound = bootstrap.bind(address).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the bind's own (checked) exception
            shutdown();
            if (e instanceof java.net.BindException bind) {
                throw bind;
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException("could not listen on " + address, e);
        }
        this.channel = bound;
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        shutdown();
    }

    private void shutdown() {
        boss.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
        FullHttpResponse response =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    /**
     * A request target as a valid URI: every byte a URI may not hold as it stands is
     * percent-encoded (a {@code %} that starts a valid escape stays one).
     */
    static URI target(String raw) throws URISyntaxException {
        byte[] bytes = raw.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 16);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean escape = b == '%' && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2]);
            if (escape || (b != '%' && isUriChar(b))) {
                out.append((char) b);
            } else {
                out.append('%')
                        .append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return new URI(out.toString());
    }

    private static boolean isHex(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    /** RFC 3986's unreserved and reserved characters. */
    private static boolean isUriChar(int b) {
        return (b >= 'a' && b <= 'z')
                || (b >= 'A' && b <= 'Z')
                || (b >= '0' && b <= '9')
                || "-._~:/?#[]@!$&'()*+,;=".indexOf(b) >= 0;
    }

    /** Reads one request at a time from a connection and hands it to the handler on a virtual thread. */
    private static final class Requests extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ExecutorService executor;
        private final Handler handler;

        Requests(ExecutorService executor, Handler handler) {
            this.executor = executor;
            this.handler = handler;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (request.decoderResult().isFailure()) {
                ctx.writeAndFlush(json(HttpResponseStatus.BAD_REQUEST, BAD_REQUEST))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            URI uri;
            try {
                uri = target(request.uri());
            } catch (URISyntaxException e) {
                ctx.writeAndFlush(json(HttpResponseStatus.BAD_REQUEST, BAD_REQUEST))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            Headers headers = new Headers();
            request.headers().forEach(h -> headers.add(h.getKey(), h.getValue()));
            byte[] body = ByteBufUtil.getBytes(request.content());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            NettyExchange exchange = new NettyExchange(
                    ctx, request.method().name(), uri, request.protocolVersion().text(), headers, body, keepAlive);
            ctx.channel().config().setAutoRead(false); // the next request waits for this answer
            executor.execute(() -> {
                try {
                    handler.handle(exchange);
                } catch (IOException | RuntimeException e) {
                    exchange.fail();
                } finally {
                    exchange.close();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
