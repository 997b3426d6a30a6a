"""Running the assistant scaled out: several Rasa replicas, action servers and case backends
behind nginx on one PostgreSQL database and one Redis (``python -m deploy.stack``)."""
