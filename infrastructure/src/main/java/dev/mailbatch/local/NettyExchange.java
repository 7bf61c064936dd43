package dev.mailbatch.local;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One request on the local runner's Netty transport ({@link LocalHttp}) and its answer, as the JDK
 * HTTP server's handlers know an exchange: the answer is written when the exchange closes.
 */
final class NettyExchange extends HttpExchange {
    private final ChannelHandlerContext ctx;
    private final String method;
    private final URI uri;
    private final String protocol;
    private final Headers requestHeaders;
    private final Headers responseHeaders = new Headers();
    private final InputStream requestBody;
    private final ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
    private final boolean keepAlive;
    private final Map<String, Object> attributes = new HashMap<>();
    private int status = -1;
    private boolean done;

    NettyExchange(
            ChannelHandlerContext ctx,
            String method,
            URI uri,
            String protocol,
            Headers requestHeaders,
            byte[] body,
            boolean keepAlive) {
        this.ctx = ctx;
        this.method = method;
        this.uri = uri;
        this.protocol = protocol;
        this.requestHeaders = requestHeaders;
        this.requestBody = new ByteArrayInputStream(body);
        this.keepAlive = keepAlive;
    }

    @Override
    public Headers getRequestHeaders() {
        return requestHeaders;
    }

    @Override
    public Headers getResponseHeaders() {
        return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
        return uri;
    }

    @Override
    public String getRequestMethod() {
        return method;
    }

    @Override
    public HttpContext getHttpContext() {
        return null;
    }

    @Override
    public InputStream getRequestBody() {
        return requestBody;
    }

    @Override
    public OutputStream getResponseBody() {
        return responseBody;
    }

    @Override
    public void sendResponseHeaders(int code, long length) {
        status = code;
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return (InetSocketAddress) ctx.channel().remoteAddress();
    }

    @Override
    public int getResponseCode() {
        return status;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return (InetSocketAddress) ctx.channel().localAddress();
    }

    @Override
    public String getProtocol() {
        return protocol;
    }

    @Override
    public Object getAttribute(String name) {
        return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        attributes.put(name, value);
    }

    @Override
    public void setStreams(InputStream in, OutputStream out) {
        throw new UnsupportedOperationException("streams are fixed here");
    }

    @Override
    public HttpPrincipal getPrincipal() {
        return null;
    }

    /** The handler threw: a 500, as the JDK server gives. */
    void fail() {
        if (!done && status < 0) {
            status = 500;
            responseHeaders.clear();
            responseHeaders.set("content-type", "application/json");
            responseBody.reset();
            responseBody.writeBytes("{\"message\":\"Internal Server Error\"}".getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Writes the answer; an exchange closed with none sent drops the connection (an answer lost). */
    @Override
    public synchronized void close() {
        if (done) {
            return;
        }
        done = true;
        if (status < 0) {
            ctx.close();
            return;
        }
        byte[] body = responseBody.toByteArray();
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
        for (Map.Entry<String, List<String>> header : responseHeaders.entrySet()) {
            response.headers().add(header.getKey(), header.getValue());
        }
        if (status != 204 && status != 304) {
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response).addListener(written -> {
                ctx.channel().config().setAutoRead(true);
                ctx.read();
            });
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
