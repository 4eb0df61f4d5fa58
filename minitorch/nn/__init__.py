"""Neural-network building blocks: Module, Parameter, layers, containers and losses."""
from minitorch.nn import init
from minitorch.nn.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minitorch.nn.container import ModuleList, Sequential
from minitorch.nn.dropout import Dropout
from minitorch.nn.flatten import Flatten
from minitorch.nn.linear import Identity, Linear
from minitorch.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from minitorch.nn.module import Module
from minitorch.nn.parameter import Parameter

__all__ = [
    "Module", "Parameter", "init",
    "Linear", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax",
    "Dropout", "Flatten", "Sequential", "ModuleList",
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
]
