// @simple-stream/websocket: WebSocket connections over Plain and Secure streams.
export {};
