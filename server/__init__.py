"""The central evaluation server: workflow owner, storage, RPC layer and the admin tool."""
